import { describe, expect, it } from 'vitest';
import { PromParseError, parsePromText } from '../../src/telemetry/promText.ts';
import type { ParsedMetrics } from '../../src/telemetry/types.ts';
import { isCostMeterError } from '../../src/util/errors.ts';
import { FORMATS } from './helpers/formats.ts';

function samplesOf(parsed: ParsedMetrics, family: string) {
  return parsed.families.get(family)?.samples ?? [];
}

function parseError(text: string, source?: string): PromParseError {
  try {
    parsePromText(text, { source });
  } catch (err) {
    if (err instanceof PromParseError) return err;
    throw err;
  }
  throw new Error('expected a PromParseError');
}

describe('parsePromText: Prometheus text format 0.0.4', () => {
  it('reads escaped label values, special floats and integer-millisecond timestamps', () => {
    const body = [
      '# HELP m A metric with a \\\\ backslash and a \\n newline in its help.',
      '# TYPE m gauge',
      'm{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb",empty=""} +Inf 1700000000123',
      'm{path="x"} -Inf',
      'm{path="y"} NaN',
      'm{path="z"} 1.5e+09',
      'm{path="w",} -0.25',
      'm{path="v"} Inf',
      'm{path="u"} +inf',
      '',
    ].join('\n');
    const parsed = parsePromText(body);
    expect(parsed.format).toBe('prometheus');
    const family = parsed.families.get('m')!;
    expect(family.type).toBe('gauge');
    expect(family.help).toBe('A metric with a \\ backslash and a \n newline in its help.');
    const [a, b, c, d, e] = family.samples;
    expect(a!.labels).toEqual({ path: 'C:\\dir', quote: 'say "hi"', nl: 'a\nb', empty: '' });
    expect(a!.value).toBe(Number.POSITIVE_INFINITY);
    expect(a!.timestampMs).toBe(1700000000123);
    expect(b!.value).toBe(Number.NEGATIVE_INFINITY);
    expect(b!.timestampMs).toBeUndefined();
    expect(c!.value).toBeNaN();
    expect(d!.value).toBe(1_500_000_000);
    expect(e!.labels).toEqual({ path: 'w' }); // a trailing comma is allowed
    expect(e!.value).toBe(-0.25);
    // Go's ParseFloat spellings of infinity are accepted too.
    expect(family.samples.slice(5).map((s) => s.value)).toEqual([Infinity, Infinity]);
  });

  it('groups a histogram whatever the order of _sum, _count and _bucket lines', () => {
    // The V0 multiprocess collector printed _sum first (fixture v0.6.5.dev-pr11117).
    const body = [
      '# TYPE h histogram',
      'h_sum{model_name="a"} 3.5',
      'h_bucket{le="+Inf",model_name="a"} 2',
      'h_count{model_name="a"} 2',
      'h_bucket{le="1.0",model_name="a"} 1',
    ].join('\n');
    const parsed = parsePromText(body);
    expect([...parsed.families.keys()]).toEqual(['h']);
    expect(samplesOf(parsed, 'h').map((s) => s.name)).toEqual([
      'h_sum',
      'h_bucket',
      'h_count',
      'h_bucket',
    ]);
  });

  it('keeps families that have HELP and TYPE but no samples, and untyped samples', () => {
    const body = [
      '# HELP vllm:num_requests_swapped Number of requests swapped to CPU.',
      '# TYPE vllm:num_requests_swapped gauge',
      'orphan_bucket{le="0.1"} 4',
      '# a plain comment is ignored',
      'orphan_count 4',
    ].join('\n');
    const parsed = parsePromText(body);
    expect(parsed.families.get('vllm:num_requests_swapped')).toMatchObject({
      type: 'gauge',
      samples: [],
    });
    expect(parsed.families.get('orphan_bucket')?.type).toBe('untyped');
    expect(samplesOf(parsed, 'orphan_count')[0]?.value).toBe(4);
  });

  it('puts a text-format _created gauge family apart, as prometheus_client prints it', () => {
    const body = [
      '# TYPE c_total counter',
      'c_total 7.0',
      '# TYPE c_created gauge',
      'c_created 1.75e+09',
    ].join('\n');
    const parsed = parsePromText(body);
    expect(samplesOf(parsed, 'c_total')[0]?.value).toBe(7);
    expect(samplesOf(parsed, 'c_created')[0]?.value).toBe(1.75e9);
  });

  it('accepts CRLF line ends, blank lines and blanks around tokens', () => {
    const parsed = parsePromText('# TYPE g gauge\r\n\r\n  g { a = "1" , b="2" }   3 \r\n');
    expect(samplesOf(parsed, 'g')[0]).toMatchObject({ labels: { a: '1', b: '2' }, value: 3 });
  });
});

describe('parsePromText: OpenMetrics 1.0', () => {
  const body = [
    '# HELP req Requests.',
    '# TYPE req counter',
    '# UNIT req requests',
    'req_total{code="200"} 10 1700000000.5 # {trace_id="abc"} 1 1700000000.4',
    'req_created{code="200"} 1699999999.25',
    '# TYPE lat histogram',
    '# UNIT lat seconds',
    'lat_bucket{le="0.5"} 1 # {trace_id="x"} 0.3',
    'lat_bucket{le="+Inf"} 2',
    'lat_count 2',
    'lat_sum 1.1',
    'lat_created 1699999999',
    '# TYPE info_thing info',
    'info_thing_info{version="1"} 1',
    '# EOF',
    '',
  ].join('\n');

  it('reads counters typed without _total, _created inside the family, exemplars ignored', () => {
    const parsed = parsePromText(body);
    expect(parsed.format).toBe('openmetrics');
    const req = parsed.families.get('req')!;
    expect(req.type).toBe('counter');
    expect(req.unit).toBe('requests');
    expect(req.samples.map((s) => [s.name, s.value])).toEqual([
      ['req_total', 10],
      ['req_created', 1699999999.25],
    ]);
    // OpenMetrics timestamps are seconds: 1700000000.5 s = 1700000000500 ms.
    expect(req.samples[0]!.timestampMs).toBe(1700000000500);
    expect(parsed.families.get('lat')!.samples).toHaveLength(5);
    expect(parsed.families.get('lat')!.unit).toBe('seconds');
    expect(parsed.families.get('info_thing')!.samples[0]!.labels).toEqual({ version: '1' });
    expect(parsed.families.has('req_total')).toBe(false);
  });

  it('rejects content after # EOF, naming the line', () => {
    const err = parseError('# TYPE a gauge\na 1\n# EOF\na 2\n');
    expect(err.line).toBe(4);
    expect(err.message).toContain("after '# EOF'");
  });
});

describe('parsePromText: errors', () => {
  it.each([
    ['a value that is not a number', 'm 1\nm{a="b"} 1O\n', 2, "'1O' is not a number"],
    ['a sample without a value', '# TYPE m gauge\nm{a="b"}\n', 2, 'has no value'],
    ['an unterminated label value', 'm{a="b} 1\n', 1, 'unterminated'],
    ['a label without =', 'm{a "b"} 1\n', 1, "expected '='"],
    ['an unquoted label value', 'm{a=b} 1\n', 1, "expected '\"'"],
    ['an invalid escape', 'm{a="\\t"} 1\n', 1, 'invalid escape'],
    ['a duplicated label', 'm{a="1",a="2"} 1\n', 1, "'a' appears twice"],
    ['a second TYPE line', '# TYPE m gauge\n# TYPE m counter\n', 2, 'second TYPE'],
    ['an unknown type', '# TYPE m meter\n', 1, "unknown metric type 'meter'"],
    ['a fractional text-format timestamp', 'm 1 1.5\n', 1, 'whole milliseconds'],
    ['garbage after the timestamp', 'm 1 2 3\n', 1, "unexpected '3'"],
    ['JSON', '{"m": 1}\n', 1, "expected a metric name or '#', found '{'"],
    ['a hexadecimal value (JavaScript reads it, Prometheus does not)', 'm 0x1A\n', 1, "'0x1A'"],
  ])('%s: PromParseError E_PARSE naming the line', (_what, body, line, text) => {
    const err = parseError(body);
    expect(err.code).toBe('E_PARSE');
    expect(err.exitCode).toBe(2);
    expect(isCostMeterError(err)).toBe(true);
    expect(err.line).toBe(line);
    expect(err.message).toContain(`line ${line}:`);
    expect(err.message).toContain(text);
  });

  it('says an HTML page is an HTML page, with the source name', () => {
    const err = parseError('\n<!DOCTYPE html>\n<html><body>Not here</body></html>\n', 'page.txt');
    expect(err.message).toBe('page.txt, line 2: this is an HTML page, not Prometheus metrics text');
  });

  it('parses an empty body to no families (the caller decides whether that is an error)', () => {
    expect(parsePromText('').families.size).toBe(0);
    expect(parsePromText('\n\n# just a comment\n').families.size).toBe(0);
  });
});

describe.each(FORMATS)('parsePromText under $format', ({ format, convert }) => {
  it('detects the format and reads the same samples', () => {
    const text = [
      '# HELP vllm:prompt_tokens_total Number of prefill tokens processed.',
      '# TYPE vllm:prompt_tokens_total counter',
      'vllm:prompt_tokens_total{engine="0",model_name="m"} 42.0',
      '# HELP vllm:prompt_tokens_created Number of prefill tokens processed.',
      '# TYPE vllm:prompt_tokens_created gauge',
      'vllm:prompt_tokens_created{engine="0",model_name="m"} 1.75e+09',
    ].join('\n');
    const parsed = parsePromText(convert(text));
    expect(parsed.format).toBe(format);
    const all = [...parsed.families.values()].flatMap((f) => f.samples);
    expect(all.map((s) => [s.name, s.value])).toEqual([
      ['vllm:prompt_tokens_total', 42],
      ['vllm:prompt_tokens_created', 1.75e9],
    ]);
  });
});
