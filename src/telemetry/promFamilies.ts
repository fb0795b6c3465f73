/**
 * The families of one exposition body as the parser meets them: metadata lines declare them,
 * samples are filed under their own name or under a declared parent by suffix (`_bucket`,
 * `_total`, `_created`, …), and samples nobody declared get an untyped family of their own.
 */

import type { ParsedMetrics, PromFamily, PromType } from './types.ts';

const TYPES = new Set<string>([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'unknown',
  'info',
  'stateset',
  'gaugehistogram',
]);

/** Sample-name suffixes and the family types they may belong to. */
const SUFFIXES: Array<[string, PromType[]]> = [
  ['_bucket', ['histogram', 'gaugehistogram']],
  ['_count', ['histogram', 'summary']],
  ['_sum', ['histogram', 'summary']],
  ['_total', ['counter']],
  ['_created', ['counter', 'histogram', 'summary']],
  ['_gcount', ['gaugehistogram']],
  ['_gsum', ['gaugehistogram']],
  ['_info', ['info']],
];

export class FamilyTable {
  readonly families = new Map<string, PromFamily>();
  /** Families named by a HELP/TYPE/UNIT line, as opposed to ones made up for samples. */
  private readonly declared = new Set<string>();
  private readonly typed = new Set<string>();
  private readonly helped = new Set<string>();
  private readonly untyped: PromType;

  constructor(format: ParsedMetrics['format']) {
    this.untyped = format === 'openmetrics' ? 'unknown' : 'untyped';
  }

  /**
   * Applies a `# HELP`, `# TYPE` or `# UNIT` line; returns what is wrong with it, or null.
   * Families may come in any order, but each is typed and described once.
   */
  meta(keyword: 'HELP' | 'TYPE' | 'UNIT', name: string, text: string): string | null {
    let family = this.families.get(name);
    if (!family) {
      family = { name, type: this.untyped, samples: [] };
      this.families.set(name, family);
    }
    this.declared.add(name);
    if (keyword === 'HELP') {
      if (this.helped.has(name)) return `second HELP line for '${name}'`;
      this.helped.add(name);
      family.help = text;
    } else if (keyword === 'TYPE') {
      const type = text.trim();
      if (this.typed.has(name)) return `second TYPE line for '${name}'`;
      if (!TYPES.has(type)) return `unknown metric type '${type}' for '${name}'`;
      this.typed.add(name);
      family.type = type as PromType;
    } else {
      family.unit = text.trim();
    }
    return null;
  }

  /** The family a sample named `name` belongs to. */
  familyFor(name: string): PromFamily {
    const exact = this.families.get(name);
    if (exact && this.declared.has(name)) return exact;
    for (const [suffix, types] of SUFFIXES) {
      if (!name.endsWith(suffix)) continue;
      const base = name.slice(0, -suffix.length);
      const parent = this.families.get(base);
      if (parent && types.includes(parent.type)) return parent;
      // Text-format counters are declared with `_total`; their `_created` may lack its header.
      if (suffix === '_created') {
        const counter = this.families.get(`${base}_total`);
        if (counter && counter.type === 'counter') return counter;
      }
    }
    if (exact) return exact;
    const made: PromFamily = { name, type: this.untyped, samples: [] };
    this.families.set(name, made);
    return made;
  }
}
