import { readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { parsePromText } from '../../telemetry/promText.ts';
import { scrapeMetrics } from '../../telemetry/scrape.ts';
import type { VllmSnapshot } from '../../telemetry/types.ts';
import { snapshotFromMetrics } from '../../telemetry/vllmModel.ts';
import { windowBetween } from '../../telemetry/windows.ts';
import { formatWindow } from '../../telemetry/windowTable.ts';
import { inputError, usageError } from '../../util/errors.ts';
import { type CliContext, contextFrom, positiveNumber, withExamples } from '../context.ts';

interface InspectOptions {
  previous?: string;
  elapsed?: number;
  json?: boolean;
  timeout: number;
}

/** One read of a source: the body and when it was taken (null when a file does not say). */
interface Sample {
  source: string;
  text: string;
  timeMs: number | null;
}

const DEFAULT_ELAPSED_S = 10;

const isUrl = (source: string) => /^https?:\/\//i.test(source);

async function readSample(source: string, timeoutMs: number): Promise<Sample> {
  if (isUrl(source)) {
    const { text } = await scrapeMetrics(source, { timeoutMs });
    return { source, text, timeMs: Date.now() };
  }
  let text: string;
  try {
    if ((await stat(source)).isDirectory())
      throw inputError(`${source} is a directory, not a file`);
    text = await readFile(source, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw inputError(`cannot read ${source}: no such file`);
    if (code) throw inputError(`cannot read ${source}: ${code}`);
    throw err;
  }
  return { source, text, timeMs: null };
}

/** Parses a sample; a file's time is the latest sample timestamp it carries, if any. */
function snapshotOf(sample: Sample, fallbackTimeMs: number): VllmSnapshot {
  if (sample.text.trim() === '') throw inputError(`${sample.source} is empty: no metrics in it`);
  const parsed = parsePromText(sample.text, { source: sample.source });
  if (sample.timeMs === null) {
    let latest: number | null = null;
    for (const family of parsed.families.values()) {
      for (const s of family.samples) {
        if (s.timestampMs !== undefined && (latest === null || s.timestampMs > latest)) {
          latest = s.timestampMs;
        }
      }
    }
    sample.timeMs = latest;
  }
  return snapshotFromMetrics(parsed, sample.timeMs ?? fallbackTimeMs);
}

function warnIfNotVllm(ctx: CliContext, snapshot: VllmSnapshot, source: string): void {
  if (snapshot.engine === 'unknown') {
    ctx.log.warn('no vLLM or SGLang metrics found; every field will be null', { source });
  }
}

async function inspect(current: string, opts: InspectOptions, ctx: CliContext): Promise<void> {
  const timeoutMs = opts.timeout * 1000;
  let prevSample: Sample | null = null;
  let curSample: Sample;
  // With URLs only, we sample twice and the clock measures the window.
  const sampleTwice =
    opts.previous === undefined ? isUrl(current) : isUrl(opts.previous) && isUrl(current);

  if (sampleTwice) {
    const waitS = opts.elapsed ?? DEFAULT_ELAPSED_S;
    prevSample = await readSample(opts.previous ?? current, timeoutMs);
    ctx.log.info(`sampling ${current} again in ${waitS} s`);
    await sleep(waitS * 1000);
    curSample = await readSample(current, timeoutMs);
  } else if (opts.previous === undefined) {
    if (opts.elapsed !== undefined) {
      throw usageError('--elapsed needs --previous when <current> is a file');
    }
    curSample = await readSample(current, timeoutMs);
  } else {
    prevSample = await readSample(opts.previous, timeoutMs);
    curSample = await readSample(current, timeoutMs);
  }

  const cur = snapshotOf(curSample, Date.now());
  warnIfNotVllm(ctx, cur, current);
  let prev: VllmSnapshot | null = null;
  if (prevSample) {
    prev = snapshotOf(prevSample, Number.NaN);
    if (!sampleTwice && opts.elapsed !== undefined) {
      prev.timeMs = cur.timeMs - opts.elapsed * 1000;
    } else if (prevSample.timeMs === null || curSample.timeMs === null) {
      const untimed = prevSample.timeMs === null ? prevSample.source : current;
      throw usageError(
        `--elapsed is required: ${untimed} carries no timestamps, so the time between the ` +
          'two samples is unknown',
      );
    } else if (!(cur.timeMs > prev.timeMs)) {
      throw inputError(
        `${current} (at ${cur.timeMs} ms) is not later than ${prevSample.source} ` +
          `(at ${prev.timeMs} ms); give the earlier sample as --previous`,
      );
    }
  }

  const stats = windowBetween(prev, cur);
  if (opts.json) ctx.stdout(JSON.stringify(stats, null, 2));
  else {
    const label = prevSample && !sampleTwice ? `${prevSample.source} → ${current}` : current;
    ctx.stdout(formatWindow(stats, label));
  }
}

export function register(program: Command): void {
  const command = program
    .command('inspect')
    .description('read a vLLM /metrics body (file or URL) and print rates, latencies and state')
    .argument('<current>', 'metrics file or http(s) URL of a /metrics endpoint')
    .option('--previous <source>', 'an earlier sample (file or URL): report the window between')
    .option(
      '--elapsed <seconds>',
      `seconds between the samples (default ${DEFAULT_ELAPSED_S} for a URL; required for ` +
        'files unless they carry timestamps)',
      positiveNumber('--elapsed'),
    )
    .option('--timeout <seconds>', 'per-scrape timeout', positiveNumber('--timeout'), 10)
    .option('--json', 'print one JSON object (rates, latencyMs, lengths, state, resets, …)')
    .action(async (current: string, opts: InspectOptions, cmd: Command) => {
      await inspect(current, opts, contextFrom(cmd));
    });
  withExamples(command, [
    'vllm-cost-meter inspect http://127.0.0.1:8000/metrics',
    'vllm-cost-meter inspect b.txt --previous a.txt --elapsed 10 --json',
  ]);
}
