/**
 * A deliberately small reader of Prometheus text, independent of the project's parser, that
 * keeps only the structure two bodies must share: family types and HELP, sample names, label
 * keys, enumerated label values and histogram bucket bounds.
 */

export interface FamilyShape {
  type: string;
  help: string;
  /** `suffix|key,key` per distinct sample shape (values dropped). */
  sampleShapes: Set<string>;
  /** Bucket bounds (`le`) in order of first appearance, for histograms. */
  bounds: string[];
  /** Values seen per label key, for enumerations such as finished_reason. */
  labelValues: Map<string, Set<string>>;
  samples: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function familyShapes(text: string): Map<string, FamilyShape> {
  const families = new Map<string, FamilyShape>();
  let current: { name: string; shape: FamilyShape } | null = null;
  const ensure = (name: string) => {
    let shape = families.get(name);
    if (!shape) {
      shape = {
        type: '',
        help: '',
        sampleShapes: new Set(),
        bounds: [],
        labelValues: new Map(),
        samples: 0,
      };
      families.set(name, shape);
    }
    return shape;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [, , name = '', ...help] = line.split(' ');
      ensure(name).help = help.join(' ');
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name = '', type = ''] = line.split(' ');
      const shape = ensure(name);
      shape.type = type;
      current = { name, shape };
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m || !current) continue;
    const sampleName = m[1]!;
    const suffix = sampleName.startsWith(current.name)
      ? sampleName.slice(current.name.length)
      : sampleName;
    const labels = [...(m[3] ?? '').matchAll(LABEL)].map((l) => [l[1]!, l[2]!] as const);
    current.shape.samples += 1;
    current.shape.sampleShapes.add(
      `${suffix}|${labels
        .map(([k]) => k)
        .sort()
        .join(',')}`,
    );
    for (const [k, v] of labels) {
      if (k === 'le') {
        if (!current.shape.bounds.includes(v)) current.shape.bounds.push(v);
        continue;
      }
      const seen = current.shape.labelValues.get(k) ?? new Set<string>();
      seen.add(v);
      current.shape.labelValues.set(k, seen);
    }
  }
  return families;
}
