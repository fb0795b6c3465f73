/**
 * What the runner tells its audience. The runner never prints: the CLI subscribes and decides
 * between a live progress bar, one plain line per step, or JSON logs.
 */

import type { DriveProgress } from '../load/types.ts';
import type { StepRecord } from './records.ts';

export interface StepLabel {
  variant: string;
  stepIndex: number;
  repeat: number;
  rateRps: number;
  /** 1-based position of this step in the run, and the run's total (null for auto sweeps). */
  ordinal: number;
  total: number | null;
}

export type RunEvent =
  | {
      type: 'run-start';
      dir: string;
      total: number | null;
      resumedSteps: number;
      droppedSteps: number;
    }
  | { type: 'variant-start'; variant: string; index: number; count: number }
  | { type: 'server-status'; variant: string; message: string }
  | {
      type: 'server-ready';
      variant: string;
      baseUrl: string;
      model: string;
      version: string | null;
    }
  | { type: 'step-start'; step: StepLabel; plannedRequests: number; plannedSeconds: number }
  | { type: 'step-progress'; step: StepLabel; progress: DriveProgress; plannedSeconds: number }
  | { type: 'step-end'; step: StepLabel; record: StepRecord }
  | { type: 'auto-stop'; variant: string; reason: string }
  | { type: 'warning'; variant: string | null; message: string }
  | { type: 'variant-end'; variant: string }
  | {
      type: 'run-end';
      dir: string;
      status: 'completed' | 'failed' | 'interrupted';
      error: string | null;
    };

export type RunEventSink = (event: RunEvent) => void;
