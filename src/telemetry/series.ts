/** Label signatures: one string per labelled series, independent of label order. */

function escapeValue(value: string): string {
  if (!value.includes('\\') && !value.includes('"') && !value.includes('\n')) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * `a="1",b="x"` with label names sorted, leaving out `skip` (e.g. `le`, `pid`). Values are
 * escaped as in the exposition, so two different label sets never share a signature.
 */
export function seriesKey(labels: Record<string, string>, skip?: string): string {
  const names = Object.keys(labels);
  let sorted = true;
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1]! > names[i]!) {
      sorted = false;
      break;
    }
  }
  if (!sorted) names.sort();
  let key = '';
  for (const name of names) {
    if (name === skip) continue;
    if (key !== '') key += ',';
    key += `${name}="${escapeValue(labels[name]!)}"`;
  }
  return key;
}
