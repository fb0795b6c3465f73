/**
 * How a run looks on stderr. On a terminal: a live bar for the running step, redrawn at the
 * driver's progress rate (4 Hz) with log-update, and a plain line when each step ends. Elsewhere
 * (CI logs, files) or with --quiet: only the plain line per step, so logs stay short and greppable.
 */

import { createLogUpdate } from 'log-update';
import pc from 'picocolors';
import type { Logger } from '../util/log.ts';
import type { RunEvent, RunEventSink, StepLabel } from './events.ts';
import { formatDuration } from './plan.ts';
import { stepLine } from './summary.ts';

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  /** Draw the live bar (a TTY and not --quiet). */
  live: boolean;
  log: Logger;
}

const BAR_WIDTH = 24;

function bar(fraction: number): string {
  const filled = Math.max(0, Math.min(BAR_WIDTH, Math.round(fraction * BAR_WIDTH)));
  return `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
}

const position = (step: StepLabel) =>
  step.total === null ? `[${step.ordinal}]` : `[${step.ordinal}/${step.total}]`;

/** Subscribes to runner events; call `close()` when the run ends. */
export function createProgress(options: ProgressOptions): { sink: RunEventSink; close(): void } {
  const { log, stream } = options;
  const live = options.live ? createLogUpdate(stream) : null;
  const plain = (text: string) => stream.write(`${text}\n`);

  const sink = (event: RunEvent) => {
    switch (event.type) {
      case 'run-start':
        log.info('results go to', { dir: event.dir });
        if (event.resumedSteps > 0) {
          log.info('resuming', { finishedSteps: event.resumedSteps, redoing: event.droppedSteps });
        }
        break;
      case 'variant-start':
        log.info(`variant ${event.variant} (${event.index + 1}/${event.count})`);
        break;
      case 'server-status':
        log.info(`server ${event.variant}: ${event.message}`);
        break;
      case 'server-ready':
        log.info(`serving ${event.model}`, {
          url: event.baseUrl,
          version: event.version ?? 'unknown',
        });
        break;
      case 'step-start':
        live?.(
          `${position(event.step)} ${event.step.variant} λ=${event.step.rateRps} req/s: starting`,
        );
        break;
      case 'step-progress': {
        if (!live) break;
        const p = event.progress;
        const fraction = event.plannedSeconds > 0 ? p.elapsedMs / 1000 / event.plannedSeconds : 0;
        const phase = fraction >= 1 ? pc.yellow('drain') : '';
        live(
          `${position(event.step)} ${event.step.variant} λ=${event.step.rateRps} req/s ` +
            `${bar(fraction)} ${formatDuration(p.elapsedMs / 1000)}/` +
            `${formatDuration(event.plannedSeconds)} ${phase}` +
            `  sent ${p.sent} ok ${p.ok} ${p.failed ? pc.red(`failed ${p.failed}`) : 'failed 0'}` +
            `  in flight ${p.inFlight}  ${Math.round(p.outputTokPerS)} tok/s`,
        );
        break;
      }
      case 'step-end': {
        live?.clear();
        const line = stepLine(event.record, `${position(event.step)} `);
        plain(event.record.status === 'ok' ? line : pc.yellow(line));
        break;
      }
      case 'auto-stop':
        live?.clear();
        plain(`auto sweep of ${event.variant} stopped: ${event.reason}`);
        break;
      case 'warning':
        live?.clear();
        log.warn(event.variant ? `${event.variant}: ${event.message}` : event.message);
        break;
      case 'variant-end':
      case 'run-end':
        break;
    }
  };
  return {
    sink,
    close: () => live?.done(),
  };
}
