import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { type FaultSpec, parseFaultSpec } from '../../sim/faults.ts';
import { listProfiles, resolveProfile } from '../../sim/profiles.ts';
import { startSimServer } from '../../sim/server.ts';
import { type CostMeterError, describeError, usageError } from '../../util/errors.ts';
import { contextFrom, port, positiveInteger, positiveNumber, withExamples } from '../context.ts';

interface SimOptions {
  port: number;
  host: string;
  profile: string;
  speedup: number;
  engines: number;
  metricsEra: 'v1' | 'v0';
  servedModelName?: string;
  fault: FaultSpec[];
  seed: number;
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  restartEvery?: number;
  listProfiles?: boolean;
}

const collectFault = (raw: string, previous: FaultSpec[]): FaultSpec[] => {
  try {
    return [...previous, parseFaultSpec(raw)];
  } catch (err) {
    throw new InvalidArgumentError(describeError(err));
  }
};

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'no such address on this machine',
  EACCES: 'permission denied',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'unknown host',
};

/** A failed listen is a usage problem the user fixes with --port or --host: one line, exit 2. */
function listenError(host: string, port: number, err: unknown): CostMeterError {
  const code = (err as { code?: unknown }).code;
  const why =
    typeof code === 'string' && LISTEN_REASONS[code]
      ? `${LISTEN_REASONS[code]}, ${code}`
      : describeError(err);
  return usageError(`cannot listen on ${host}:${port} (${why}); pass another --port or --host`);
}

export function register(program: Command): void {
  const command = program
    .command('sim')
    .description(
      'serve the embedded vLLM simulator: OpenAI-compatible API and /metrics with vLLM V1 ' +
        'names; continuous batching with a KV cache, step times from a roofline calibrated on ' +
        'the paper',
    )
    .option('--port <port>', 'TCP port (0 picks a free one)', port('--port'), 8000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--profile <name>', 'hardware/model profile (see --list-profiles)', 'demo')
    .option(
      '--speedup <n>',
      'run the simulated clock N× faster: the server then behaves like hardware N× faster, and ' +
        'every time it reports (HTTP timings and /metrics) is wall-clock',
      positiveNumber('--speedup'),
      1,
    )
    .option(
      '--engines <n>',
      'data-parallel engines (engine label 0…n-1)',
      positiveInteger('--engines'),
      1,
    )
    .addOption(
      new Option('--metrics-era <era>', 'metric names of vLLM V1 or of the V0 engine')
        .choices(['v1', 'v0'])
        .default('v1'),
    )
    .option('--served-model-name <name>', 'model name to serve (default: the profile model)')
    .option(
      '--fault <spec>',
      'inject a fault, repeatable: <kind>[:p=<prob>|every=<n>,after=<tokens>,retry-after=<s>,' +
        'delay-ms=<ms>]; kinds close-mid-stream, error-event, http-500, http-503, http-429, hang, ' +
        'metrics-slow, metrics-500, metrics-garbage, metrics-html',
      collectFault,
      [],
    )
    .option(
      '--seed <n>',
      'seed of fault draws and natural output lengths',
      positiveInteger('--seed'),
      1,
    )
    .option(
      '--max-num-seqs <n>',
      "override the device's vLLM default",
      positiveInteger('--max-num-seqs'),
    )
    .option(
      '--max-num-batched-tokens <n>',
      "override the device's vLLM default",
      positiveInteger('--max-num-batched-tokens'),
    )
    .option(
      '--restart-every <s>',
      'simulate a process restart every S seconds (counters reset, _created changes)',
      positiveNumber('--restart-every'),
    )
    .option('--list-profiles', 'print the known profiles and exit')
    .action(async (options: SimOptions, cmd: Command) => {
      const ctx = contextFrom(cmd);
      if (options.listProfiles) {
        for (const name of listProfiles()) {
          const p = resolveProfile(name);
          const paper = p.paperConfig ? ` (paper ${p.paperConfig})` : '';
          ctx.stdout(
            `${name.padEnd(28)} ${p.gpus}× ${p.hardware.label}, ${p.model.servedName}, ${p.precision}${paper}`,
          );
        }
        return;
      }
      const profile = resolveProfile(options.profile, {
        maxNumSeqs: options.maxNumSeqs,
        maxNumBatchedTokens: options.maxNumBatchedTokens,
      });
      const server = await startSimServer({
        profile,
        host: options.host,
        port: options.port,
        speedup: options.speedup,
        engines: options.engines,
        era: options.metricsEra,
        servedModelName: options.servedModelName,
        faults: options.fault,
        seed: options.seed,
      }).catch((err: unknown) => {
        throw listenError(options.host, options.port, err);
      });
      ctx.log.info('simulator ready', {
        profile: profile.name,
        model: server.modelName,
        speedup: options.speedup,
        engines: options.engines,
        kvCacheTokens: profile.kvCacheTokens,
        calibration: profile.calibration.source,
      });
      ctx.stdout(`listening on ${server.url}`);
      const restartTimer = options.restartEvery
        ? setInterval(() => {
            server.restart().then(
              () => ctx.log.info('simulated restart'),
              (err: unknown) => ctx.log.error('restart failed', { error: describeError(err) }),
            );
          }, options.restartEvery * 1000)
        : null;
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      if (restartTimer) clearInterval(restartTimer);
      await server.close();
      ctx.log.info('simulator stopped');
    });
  withExamples(command, [
    'vllm-cost-meter sim --port 8000 --profile demo --speedup 10',
    'vllm-cost-meter sim --port 0 --profile h100-llama3.1-8b-fp16 --speedup 20',
    'vllm-cost-meter sim --profile 2xh100-mixtral-8x7b-fp8 --engines 2 --fault http-429:every=10,retry-after=1',
    'vllm-cost-meter sim --list-profiles',
  ]);
}
