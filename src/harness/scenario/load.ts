/**
 * Reading a scenario file: YAML with positions, the zod schema, then the checks that need the
 * file system or the GPU catalog. Every problem comes back at once, one located line each.
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { findGpu, knownGpuIds } from '../../cost/gpuCatalog.ts';
import { inputError } from '../../util/errors.ts';
import {
  issuesFromZod,
  type PathSegment,
  positionOf,
  ScenarioError,
  type ScenarioIssue,
} from './issues.ts';
import { type Scenario, scenarioSchema } from './schema.ts';

export interface LoadedScenario {
  scenario: Scenario;
  /** As given on the command line (used in messages). */
  file: string;
  /** Absolute path; relative paths inside the scenario resolve against its directory. */
  absolutePath: string;
  baseDir: string;
  text: string;
  /** Lengths read from `empirical` files, keyed by the YAML path of their `file` field. */
  empiricalValues: Map<string, number[]>;
}

/** Parses scenario text; `file` names it in messages and anchors relative paths. */
export function parseScenarioText(text: string, file: string): LoadedScenario {
  const counter = new LineCounter();
  // logLevel 'error': the YAML library would print warnings (complex keys) to stderr itself.
  const doc = parseDocument(text, {
    lineCounter: counter,
    prettyErrors: false,
    uniqueKeys: true,
    logLevel: 'error',
  });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      doc.errors.map((e) => {
        const pos = counter.linePos(e.pos[0]);
        const reason = e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
        return { file, line: pos.line, col: pos.col, path: [], message: `YAML: ${reason}` };
      }),
    );
  }

  let data: unknown;
  try {
    // Throws on an alias to no anchor, and on alias bombs (more than 100 aliases expanded).
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ScenarioError([{ file, line: 1, col: 1, path: [], message: `YAML: ${reason}` }]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ScenarioError([
      { file, line: 1, col: 1, path: [], message: 'must be a YAML map of scenario fields' },
    ]);
  }
  const parsed = scenarioSchema.safeParse(data);
  if (!parsed.success) {
    throw new ScenarioError(issuesFromZod(parsed.error, scenarioSchema, data, file, doc, counter));
  }

  const absolutePath = resolvePath(file);
  const baseDir = dirname(absolutePath);
  const checks = new SemanticChecks(file, baseDir, doc, counter);
  checks.run(parsed.data);
  if (checks.issues.length > 0) throw new ScenarioError(checks.issues);
  return {
    scenario: parsed.data,
    file,
    absolutePath,
    baseDir,
    text,
    empiricalValues: checks.empirical,
  };
}

/** Reads and validates a scenario file. */
export function loadScenario(file: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw inputError(`cannot read scenario ${file}: check the path`, err);
  }
  return parseScenarioText(text, file);
}

export const keyOfPath = (path: readonly PathSegment[]) => path.join('.');

/** Checks that zod cannot express: catalog names, files that must exist, their contents. */
class SemanticChecks {
  readonly issues: ScenarioIssue[] = [];
  readonly empirical = new Map<string, number[]>();

  constructor(
    private readonly file: string,
    private readonly baseDir: string,
    private readonly doc: Document,
    private readonly counter: LineCounter,
  ) {}

  run(s: Scenario): void {
    this.pricing(s.pricing, ['pricing']);
    this.lengths(s.workload.promptTokens, ['workload', 'promptTokens']);
    this.lengths(s.workload.outputTokens, ['workload', 'outputTokens']);
    if (s.workload.arrival.kind === 'trace') {
      this.fileExists(s.workload.arrival.file, ['workload', 'arrival', 'file']);
    }
    if (s.workload.tokenizer !== undefined) {
      this.fileExists(s.workload.tokenizer, ['workload', 'tokenizer']);
    }
    if (s.server?.cwd !== undefined) this.dirExists(s.server.cwd, ['server', 'cwd']);
    if (s.apiKeyFile !== undefined) this.fileExists(s.apiKeyFile, ['apiKeyFile']);
    s.variants?.forEach((v, i) => {
      if (v.pricing) this.pricing(v.pricing, ['variants', i, 'pricing']);
      if (v.apiKeyFile !== undefined) this.fileExists(v.apiKeyFile, ['variants', i, 'apiKeyFile']);
      if (v.server?.cwd !== undefined)
        this.dirExists(v.server.cwd, ['variants', i, 'server', 'cwd']);
    });
  }

  private add(path: PathSegment[], message: string, key = false): void {
    this.issues.push({
      file: this.file,
      ...positionOf(this.doc, this.counter, path, key),
      path,
      message,
    });
  }

  private pricing(p: Scenario['pricing'], path: PathSegment[]): void {
    if (p.gpu === undefined || p.gpuHourlyUsd !== undefined || findGpu(p.gpu)) return;
    this.add(
      [...path, 'gpu'],
      `unknown GPU class ${JSON.stringify(p.gpu)} (known: ${knownGpuIds().join(', ')}); ` +
        'or give gpuHourlyUsd',
    );
  }

  private resolve(file: string): string {
    return isAbsolute(file) ? file : resolvePath(this.baseDir, file);
  }

  private fileExists(file: string, path: PathSegment[]): boolean {
    const full = this.resolve(file);
    if (existsSync(full) && statSync(full).isFile()) return true;
    this.add(path, `file not found: ${full}`);
    return false;
  }

  private dirExists(dir: string, path: PathSegment[]): void {
    const full = this.resolve(dir);
    if (!existsSync(full) || !statSync(full).isDirectory()) {
      this.add(path, `directory not found: ${full}`);
    }
  }

  private lengths(d: Scenario['workload']['promptTokens'], path: PathSegment[]): void {
    if (d.kind !== 'empirical' || d.file === undefined) return;
    const filePath = [...path, 'file'];
    if (!this.fileExists(d.file, filePath)) return;
    const full = this.resolve(d.file);
    const values: number[] = [];
    const lines = readFileSync(full, 'utf8').split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const raw = (lines[i] as string).replace(/#.*/, '').trim();
      if (raw === '') continue;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 1) {
        const where = `${full}:${i + 1}`;
        this.add(filePath, `${where}: a length must be a whole number ≥ 1 (got "${raw}")`);
        return;
      }
      values.push(value);
    }
    if (values.length === 0) {
      this.add(filePath, `${full} lists no lengths (one whole number per line)`);
      return;
    }
    this.empirical.set(keyOfPath(filePath), values);
  }
}
