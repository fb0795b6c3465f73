import type { Command } from 'commander';
import { createLogUpdate } from 'log-update';
import { type RawMeterOptions, resolveMeterConfig, windowLabel } from '../../meter/config.ts';
import { renderDashboard } from '../../meter/dashboard.ts';
import { DirectMeter } from '../../meter/directMeter.ts';
import { type MeterEndpoint, startEndpoint } from '../../meter/endpoint.ts';
import { createExporter } from '../../meter/exporter.ts';
import { FleetMeter } from '../../meter/fleet/fleetMeter.ts';
import { plainLine } from '../../meter/format.ts';
import { type LogSink, openLogSink } from '../../meter/logSink.ts';
import type { MeterReading } from '../../meter/types.ts';
import { describeError, runError } from '../../util/errors.ts';
import {
  type CliContext,
  contextFrom,
  onStdoutClosed,
  positiveInteger,
  positiveNumber,
  withExamples,
} from '../context.ts';

export function register(program: Command): void {
  const command = program
    .command('meter')
    .description('attach read-only to a vLLM server (or a Prometheus) and show live effective cost')
    .option(
      '--url <url>',
      'vLLM server to meter (direct mode); only GETs /metrics, /v1/models, /version',
    )
    .option('--prometheus <url>', 'Prometheus (or Thanos/Mimir) API root that scrapes the replicas')
    .option('--gpu-price <usd>', 'price of one GPU-hour in USD', positiveNumber('--gpu-price'))
    .option('--gpu <class>', 'GPU class from the price catalog (h100, a100); names the GPU label')
    .option('--gpus <n>', 'GPUs per server (per replica in fleet mode)', positiveInteger('--gpus'))
    .option('--interval <duration>', 'sampling interval (default 5s)')
    .option('--windows <list>', 'rolling windows (default 1m,5m)')
    .option('--timeout <duration>', 'timeout of each request (default: the interval, at most 10s)')
    .option('--slo-ttft-p99-ms <ms>', 'TTFT p99 bound', positiveNumber('--slo-ttft-p99-ms'))
    .option('--slo-tpot-p99-ms <ms>', 'TPOT p99 bound', positiveNumber('--slo-tpot-p99-ms'))
    .option('--slo-e2e-p99-ms <ms>', 'end-to-end p99 bound', positiveNumber('--slo-e2e-p99-ms'))
    .option('--plain', 'one plain line per interval even on a terminal')
    .option('--listen <[host:]port>', 'serve /metrics and /cost here (default 127.0.0.1:9464)')
    .option('--no-listen', 'serve no HTTP endpoint')
    .option('--bind <host>', 'address of the endpoint (default 127.0.0.1)')
    .option('--log <file>', 'append one record per interval to FILE.csv or FILE.jsonl')
    .option('--model <name>', 'model served, for the reference match (default: from the server)')
    .option('--quantization <q>', 'precision served (fp8, float16, …), for the reference match')
    .option('--duration <duration>', 'stop after this long (default: until Ctrl-C)')
    .option(
      '--replica-label <label>',
      'fleet mode: label naming a replica (default: pod, else instance)',
    )
    .option(
      '--selector <matchers>',
      'fleet mode: label matchers added to every query, e.g. job="vllm"',
    )
    .action(async (raw: RawMeterOptions, cmd: Command) => {
      await runMeter(raw, contextFrom(cmd));
    });
  withExamples(command, [
    'vllm-cost-meter meter --url http://127.0.0.1:8000 --gpu h100 --gpus 1',
    'vllm-cost-meter meter --url http://10.0.0.5:8000 --gpu-price 2.49 --slo-ttft-p99-ms 300 --log cost.csv',
    'vllm-cost-meter meter --prometheus http://127.0.0.1:9090 --gpu-price 6.98',
    // Single quotes keep the double quotes, which PromQL needs, away from the shell.
    `vllm-cost-meter meter --prometheus http://prom:9090 --gpu h100 --selector 'job="vllm"' --plain`,
  ]);
}

async function runMeter(raw: RawMeterOptions, ctx: CliContext): Promise<void> {
  const config = resolveMeterConfig(raw);
  const sink: LogSink | null = config.log ? openLogSink(config.log.path, config.log.format) : null;
  const meter = config.mode === 'direct' ? new DirectMeter(config) : new FleetMeter(config);
  const exporter = createExporter();

  let endpoint: MeterEndpoint | null = null;
  try {
    if (config.listen) {
      endpoint = await startEndpoint({ ...config.listen, exporter, latest: () => meter.latest });
    }
  } catch (err) {
    sink?.close();
    throw err;
  }

  const dashboard = process.stdout.isTTY === true && !config.plain;
  const frame = dashboard ? createLogUpdate(process.stdout) : null;
  // The dashboard shows gaps itself; stderr lines would tear the frame it redraws.
  const note = (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => {
    if (!dashboard) ctx.log[level](msg, fields);
  };

  ctx.log.info('metering', {
    source: config.url,
    mode: config.mode,
    interval: `${config.intervalMs}ms`,
    windows: config.windowsSeconds.map(windowLabel).join(','),
    usdPerHour: config.price.gpuHourlyUsd * config.price.gpus,
    endpoint: endpoint ? `${endpoint.url}/metrics ${endpoint.url}/cost` : 'off',
    log: config.log?.path,
  });

  let sinkBroken = false;
  let answered = 0;
  meter.on('reading', (reading: MeterReading) => {
    if (reading.status !== 'gap') answered += 1;
    exporter.update(reading);
    if (sink && !sinkBroken) {
      try {
        sink.write(reading);
      } catch (err) {
        sinkBroken = true;
        ctx.log.error('log file write failed; logging stopped', { error: describeError(err) });
      }
    }
    if (frame) frame(renderDashboard(reading, { rows: process.stdout.rows }));
    else ctx.stdout(plainLine(reading));
  });
  meter.on('gap', (gap) => note('warn', 'gap opened', { kind: gap.kind, error: gap.message }));
  meter.on('recovered', (gap) =>
    note('info', 'recovered', { kind: gap.kind, failedScrapes: gap.failedScrapes }),
  );
  meter.on('warning', (message) => note('warn', message));
  if (meter instanceof DirectMeter) {
    meter.on('restart', (e) =>
      note('warn', 'server restarted; windows reset', { resets: e.resets.length }),
    );
    meter.on('reference', ({ reference, why }) =>
      reference
        ? note('info', 'reference matched', {
            id: reference.id,
            thetaMax: reference.thetaMaxTokPerS,
          })
        : note('info', 'no reference curve', { why: why.join('; ') }),
    );
  }

  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  let timer: NodeJS.Timeout | undefined;
  let offStdoutClosed = () => {};
  const stopped = new Promise<string>((resolve) => {
    onSignal = (signal) => resolve(signal);
    // `meter … | head -1`: the reader has what it wanted; stop as for Ctrl-C, log flushed.
    offStdoutClosed = onStdoutClosed(() => resolve('stdout closed'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (config.durationMs !== null)
      timer = setTimeout(() => resolve('duration'), config.durationMs);
  });
  meter.start();
  const why = await stopped;
  clearTimeout(timer);
  offStdoutClosed();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  await meter.stop();
  frame?.done();
  sink?.close();
  await endpoint?.close();
  ctx.log.info('stopped', { reason: why, log: config.log?.path });

  // A timed run that never reached the source measured nothing; scripts must not read it as
  // success. Ctrl-C stays exit 0: the user chose to stop, whatever was seen.
  if (why === 'duration' && answered === 0) {
    const last = meter.latest?.lastError;
    throw runError(
      `no sample from ${config.url} succeeded in ${raw.duration}: ` +
        (last ?? 'check the address and that the server is up'),
    );
  }
  process.exitCode = 0;
}
