/**
 * One simulated engine in real time: the scheduler of `scheduler.ts` stepped on timers, each
 * step lasting the profile's step time divided by the speedup. Every timestamp it records is
 * wall-clock, so a speedup-N engine is simply hardware N× faster: what clients measure and what
 * /metrics reports agree. Steps chain at their nominal end times, so late timers (a busy event
 * loop) delay token delivery a little but do not lower the simulated throughput.
 */

import type { EngineMetrics, MetricsFinishReason } from './metricsState.ts';
import { recordFinished } from './metricsState.ts';
import type { SimProfile } from './profiles.ts';
import { type StepCostModel, stepCostModel } from './roofline.ts';
import { type EngineRequest, Scheduler, type StepPlan } from './scheduler.ts';

export interface RequestHooks {
  /**
   * A token was generated; `outputTokens` counts it. `finish` is set on the request's last
   * token. Requests ended by `abort` get no further call.
   */
  onToken(outputTokens: number, atS: number, finish: 'stop' | 'length' | null): void;
}

export interface SubmitSpec {
  promptTokens: number;
  maxTokens: number;
  /** The max_tokens the client sent (for the request_params_max_tokens histogram), if any. */
  maxTokensParam: number | null;
  stopAtTokens: number | null;
  arrivalS: number;
}

export interface LiveHandle {
  /** Ends the request now (client gone, injected error); counted under `reason`. */
  abort(reason?: MetricsFinishReason): void;
}

interface Live {
  req: EngineRequest;
  spec: SubmitSpec;
  queuedS: number;
  firstEmitS: number | null;
  lastEmitS: number;
  hooks: RequestHooks;
  done: boolean;
}

/** Upper bound of steps committed in one timer callback before yielding to I/O. */
const MAX_STEPS_PER_WAKE = 200;

export class LiveEngine {
  metrics: EngineMetrics;
  private readonly scheduler: Scheduler;
  private readonly cost: StepCostModel;
  private readonly live = new Map<number, Live>();
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  private current: { plan: StepPlan; endS: number } | null = null;
  private stepTimer: NodeJS.Timeout | null = null;
  private nextId = 0;
  private pending = 0;
  private stopped = false;
  /** Bumped by reset: handles of requests from before a restart become inert. */
  private generation = 0;

  constructor(
    private readonly profile: SimProfile,
    private readonly speedup: number,
    private readonly clockS: () => number,
    metrics: EngineMetrics,
  ) {
    this.scheduler = new Scheduler(profile.scheduler);
    this.cost = stepCostModel(profile);
    this.metrics = metrics;
  }

  get running(): number {
    return this.scheduler.numRunning;
  }

  /** Waiting in the scheduler plus those still in the frontend. */
  get waiting(): number {
    return this.scheduler.numWaiting + this.pending;
  }

  get kvUsage(): number {
    return this.scheduler.kvUsage;
  }

  /** Load score for data-parallel dispatch (vLLM weighs waiting requests 4× running ones). */
  get load(): number {
    return 4 * this.waiting + this.running;
  }

  submit(spec: SubmitSpec, hooks: RequestHooks): LiveHandle {
    let entry: Live | null = null;
    let cancelled = false;
    const generation = this.generation;
    const frontendMs = this.profile.factors.frontendMs / this.speedup;
    this.pending += 1;
    const timer = setTimeout(() => {
      this.pendingTimers.delete(timer);
      this.pending -= 1;
      if (cancelled || this.stopped) return;
      const now = this.clockS();
      const req = this.scheduler.add(
        {
          id: this.nextId++,
          promptTokens: spec.promptTokens,
          maxTokens: spec.maxTokens,
          stopAtTokens: spec.stopAtTokens,
        },
        now,
      );
      entry = { req, spec, queuedS: now, firstEmitS: null, lastEmitS: now, hooks, done: false };
      this.live.set(req.id, entry);
      if (this.current === null) this.startStep(now);
    }, frontendMs);
    this.pendingTimers.add(timer);

    return {
      abort: (reason: MetricsFinishReason = 'abort') => {
        if (generation !== this.generation) return;
        if (entry === null) {
          if (!cancelled) {
            cancelled = true;
            clearTimeout(timer);
            this.pendingTimers.delete(timer);
            this.pending -= 1;
            const now = this.clockS();
            recordFinished(this.metrics, this.finishTimes(spec, null, now, reason));
          }
          return;
        }
        const e = entry as Live;
        if (e.done) return;
        const now = this.clockS();
        this.scheduler.abort(e.req, now);
        this.finishLive(e, reason, now);
      },
    };
  }

  /** Drops all work (a restart): requests end as aborted without touching the new metrics. */
  reset(metrics: EngineMetrics): Live[] {
    this.clearTimers();
    this.generation += 1;
    const dropped = [...this.live.values()];
    for (const e of dropped) e.done = true;
    this.live.clear();
    this.scheduler.reset();
    this.pending = 0;
    this.current = null;
    this.metrics = metrics;
    return dropped;
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
  }

  private clearTimers(): void {
    if (this.stepTimer) clearTimeout(this.stepTimer);
    this.stepTimer = null;
    for (const t of this.pendingTimers) clearTimeout(t);
    this.pendingTimers.clear();
  }

  private startStep(startS: number): void {
    const plan = this.scheduler.plan(startS);
    if (plan === null) {
      this.current = null;
      return;
    }
    const endS = startS + this.cost.stepTimeS(plan.shape) / this.speedup;
    this.current = { plan, endS };
    this.armTimer(endS);
  }

  private armTimer(endS: number): void {
    if (this.stopped) return;
    const delayMs = Math.max(0, (endS - this.clockS()) * 1e3);
    this.stepTimer = setTimeout(() => this.onStepTimer(), delayMs);
  }

  private onStepTimer(): void {
    this.stepTimer = null;
    let steps = 0;
    while (this.current !== null && steps < MAX_STEPS_PER_WAKE) {
      const now = this.clockS();
      if (this.current.endS > now) break;
      const { plan, endS } = this.current;
      this.current = null;
      this.commitStep(plan, endS, now);
      steps += 1;
      this.startStepQuiet(endS);
    }
    if (this.current !== null && this.stepTimer === null) this.armTimer(this.current.endS);
    // The wake ran late and the only waiting requests arrived after the last step's end: start
    // their step now, at the wall clock, so no request is scheduled before it arrived.
    if (this.current === null && !this.scheduler.idle) this.startStep(this.clockS());
  }

  /** Like startStep but without arming a timer: the wake loop decides when to sleep. */
  private startStepQuiet(startS: number): void {
    const plan = this.scheduler.plan(startS);
    if (plan === null) return;
    this.current = { plan, endS: startS + this.cost.stepTimeS(plan.shape) / this.speedup };
  }

  private commitStep(plan: StepPlan, endS: number, nowS: number): void {
    const m = this.metrics;
    for (const { req } of plan.entries) {
      // A request entering with nothing computed is a prefix-cache lookup (new or resumed).
      if (req.computed === 0) m.prefixQueries += req.promptTokens + req.output;
    }
    const outcome = this.scheduler.commit(plan, endS);
    m.preemptions += outcome.preempted.length;
    m.hist.iterationTokens.observe(outcome.shape.tokens);
    for (const req of outcome.sampled) {
      const e = this.live.get(req.id);
      if (!e || e.done) continue;
      m.generationTokens += 1;
      if (req.output === 1) {
        m.promptTokens += req.promptTokens;
        m.hist.ttft.observe(nowS - e.spec.arrivalS);
        e.firstEmitS = nowS;
      } else {
        m.hist.itl.observe(nowS - e.lastEmitS);
      }
      e.lastEmitS = nowS;
      const finish =
        req.status === 'finished' ? (req.finishReason === 'stop' ? 'stop' : 'length') : null;
      if (finish !== null) this.finishLive(e, finish, nowS);
      e.hooks.onToken(req.output, nowS, finish);
    }
  }

  private finishLive(e: Live, reason: MetricsFinishReason, nowS: number): void {
    e.done = true;
    this.live.delete(e.req.id);
    recordFinished(this.metrics, this.finishTimes(e.spec, e, nowS, reason));
  }

  private finishTimes(spec: SubmitSpec, e: Live | null, nowS: number, reason: MetricsFinishReason) {
    const req = e?.req;
    return {
      arrivalS: spec.arrivalS,
      queuedS: e?.queuedS ?? nowS,
      firstScheduledS: req?.firstScheduledS ?? null,
      firstTokenS: e?.firstEmitS ?? null,
      lastTokenS: e?.firstEmitS != null ? e.lastEmitS : null,
      finishedS: nowS,
      promptTokens: spec.promptTokens,
      outputTokens: req?.output ?? 0,
      maxTokens: spec.maxTokensParam,
      preemptions: req?.preemptions ?? 0,
      reason,
    };
  }
}
