/**
 * Everything a run writes into its results directory, in one place: the JSONL writers, the
 * manifest, steps.csv. Every record passes through the API-key redaction on its way out, and a
 * telemetry line that cannot be written (a full disk) is kept as the run's failure instead of
 * being thrown from inside a scrape timer.
 */

import { CostMeterError, describeError, ioError } from '../util/errors.ts';
import { redactJson } from './apiKeys.ts';
import { JsonlWriter } from './jsonl.ts';
import { writeManifest } from './manifest.ts';
import type { RunManifest, StepRecord } from './records.ts';
import type { RunPaths } from './resultsDir.ts';
import { writeStepsCsv } from './stepsCsv.ts';

export class RunOutput {
  readonly requests: JsonlWriter;
  readonly steps: JsonlWriter;
  readonly telemetry: JsonlWriter;
  gpu: JsonlWriter | null = null;
  /** The first telemetry line that could not be written; the runner stops on it. */
  writeFailure: CostMeterError | null = null;

  constructor(
    readonly paths: RunPaths,
    readonly secrets: readonly string[],
  ) {
    this.requests = new JsonlWriter(paths.requests);
    this.steps = new JsonlWriter(paths.steps);
    this.telemetry = new JsonlWriter(paths.telemetry);
  }

  /** Never throws (it runs in scrape timers): a failure is kept and later lines dropped. */
  writeTelemetry(line: unknown): void {
    this.keep(() => this.telemetry.write(line));
  }

  writeGpu(sample: unknown): void {
    this.keep(() => {
      this.gpu ??= new JsonlWriter(this.paths.gpu);
      this.gpu.write(sample);
    });
  }

  private keep(write: () => void): void {
    if (this.writeFailure) return;
    try {
      write();
    } catch (err) {
      this.writeFailure = err instanceof CostMeterError ? err : ioError(describeError(err));
    }
  }

  /** A finished (or interrupted) step: its line, then everything flushed to the disk. */
  writeStep(record: StepRecord, finished: readonly StepRecord[]): void {
    this.steps.write(record);
    this.steps.sync();
    this.requests.sync();
    this.telemetry.sync();
    this.writeStepsCsv(finished);
  }

  writeStepsCsv(finished: readonly StepRecord[]): void {
    writeStepsCsv(this.paths.stepsCsv, finished);
  }

  saveManifest(manifest: RunManifest): void {
    writeManifest(this.paths.manifest, redactJson(manifest, this.secrets));
  }

  close(): void {
    for (const w of [this.requests, this.steps, this.telemetry, this.gpu]) {
      try {
        w?.close();
      } catch {
        // Closing after a full disk can fail too; every whole line is already in the file.
      }
    }
  }
}
