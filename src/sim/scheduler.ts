/**
 * vLLM V1's continuous-batching scheduler, in simulated time and without I/O. One `plan` picks
 * the work of one engine step the way `vllm/v1/core/sched/scheduler.py` does with prefix caching
 * off and FCFS policy:
 *   1. running requests first, in order, each taking min(remaining tokens, token budget);
 *      when the KV cache cannot hold a request's new tokens, the most recently admitted running
 *      request is preempted (recompute: its blocks are freed, it returns to the front of the
 *      waiting queue with nothing computed) until the allocation fits;
 *   2. only when nothing was preempted, waiting requests in FCFS order while the budget, the
 *      `max_num_seqs` cap and free KV blocks allow, a prompt split across steps when it exceeds
 *      the remaining budget (chunked prefill).
 * `commit` applies the step: a request whose tokens are all computed samples one new token.
 */

export interface SchedulerConfig {
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  blockSize: number;
  numBlocks: number;
  maxModelLen: number;
}

export type FinishReason = 'stop' | 'length' | 'abort';

export interface EngineRequest {
  id: number;
  promptTokens: number;
  maxTokens: number;
  /** Output length at which the model emits EOS, or null when EOS is ignored. */
  stopAtTokens: number | null;
  /** Tokens whose KV is computed and held (0 after a preemption). */
  computed: number;
  output: number;
  blocks: number;
  status: 'waiting' | 'running' | 'finished';
  enqueuedS: number;
  firstScheduledS: number | null;
  firstTokenS: number | null;
  lastTokenS: number | null;
  finishedS: number | null;
  preemptions: number;
  finishReason: FinishReason | null;
}

export interface NewRequest {
  id: number;
  promptTokens: number;
  maxTokens: number;
  stopAtTokens?: number | null;
}

/** What the step-time model needs to know about one step. */
export interface StepShape {
  seqs: number;
  tokens: number;
  prefillTokens: number;
  /** Σ over scheduled sequences of the context their attention reads (computed + new). */
  kvReadTokens: number;
  /** Σ over sequences of new × (computed + new / 2): causal attention work in token pairs. */
  attnTokenPairs: number;
}

export interface PlannedEntry {
  req: EngineRequest;
  tokens: number;
}

export interface StepPlan {
  startS: number;
  entries: PlannedEntry[];
  preempted: EngineRequest[];
  shape: StepShape;
}

export interface StepOutcome {
  endS: number;
  /** Requests that sampled a token in this step (their `output` already counts it). */
  sampled: EngineRequest[];
  finished: EngineRequest[];
  /** Requests scheduled for the first time in this step. */
  started: EngineRequest[];
  preempted: EngineRequest[];
  shape: StepShape;
}

export class Scheduler {
  readonly config: SchedulerConfig;
  private running: EngineRequest[] = [];
  private waiting: EngineRequest[] = [];
  private waitingHead = 0;
  private freeBlocks: number;
  private preemptionCount = 0;

  constructor(config: SchedulerConfig) {
    if (!(config.maxNumSeqs >= 1)) throw new RangeError('invalid maxNumSeqs');
    if (!(config.maxNumBatchedTokens >= 1)) throw new RangeError('invalid maxNumBatchedTokens');
    if (!(config.blockSize >= 1)) throw new RangeError('invalid blockSize');
    if (!(config.numBlocks >= 1)) throw new RangeError('invalid numBlocks');
    this.config = config;
    this.freeBlocks = config.numBlocks;
  }

  add(spec: NewRequest, nowS: number): EngineRequest {
    const req: EngineRequest = {
      id: spec.id,
      promptTokens: spec.promptTokens,
      maxTokens: spec.maxTokens,
      stopAtTokens: spec.stopAtTokens ?? null,
      computed: 0,
      output: 0,
      blocks: 0,
      status: 'waiting',
      enqueuedS: nowS,
      firstScheduledS: null,
      firstTokenS: null,
      lastTokenS: null,
      finishedS: null,
      preemptions: 0,
      finishReason: null,
    };
    this.waiting.push(req);
    return req;
  }

  get numRunning(): number {
    return this.running.length;
  }

  get numWaiting(): number {
    return this.waiting.length - this.waitingHead;
  }

  get usedBlocks(): number {
    return this.config.numBlocks - this.freeBlocks;
  }

  get kvUsage(): number {
    return this.usedBlocks / this.config.numBlocks;
  }

  get totalPreemptions(): number {
    return this.preemptionCount;
  }

  get idle(): boolean {
    return this.running.length === 0 && this.numWaiting === 0;
  }

  /** Picks the next step's work; null when there is nothing to run. */
  plan(nowS: number): StepPlan | null {
    if (this.idle) return null;
    const entries: PlannedEntry[] = [];
    const preempted: EngineRequest[] = [];
    let budget = this.config.maxNumBatchedTokens;

    for (let i = 0; i < this.running.length && budget > 0; i++) {
      const req = this.running[i]!;
      const tokens = Math.min(req.promptTokens + req.output - req.computed, budget);
      if (tokens <= 0) continue;
      let fits = true;
      while (!this.tryAllocate(req, tokens)) {
        const victim = this.running.pop()!;
        this.preempt(victim);
        preempted.push(victim);
        if (victim === req) {
          fits = false;
          break;
        }
      }
      if (!fits) break;
      entries.push({ req, tokens });
      budget -= tokens;
    }

    if (preempted.length === 0) {
      while (this.numWaiting > 0 && budget > 0 && this.running.length < this.config.maxNumSeqs) {
        const req = this.waiting[this.waitingHead]!;
        // A request that reached the engine after this step began waits for the next step.
        if (req.enqueuedS > nowS) break;
        const tokens = Math.min(req.promptTokens + req.output - req.computed, budget);
        if (!this.tryAllocate(req, tokens)) break;
        this.popWaiting();
        req.status = 'running';
        this.running.push(req);
        entries.push({ req, tokens });
        budget -= tokens;
      }
    }

    if (entries.length === 0 && preempted.length === 0) {
      const head = this.waiting[this.waitingHead];
      if (head !== undefined && head.enqueuedS > nowS) return null; // nothing has arrived yet
      // Nothing fits even alone: the KV cache is smaller than one request. Admission control at
      // the server rejects such requests, so reaching this is a configuration error.
      throw new RangeError('KV cache cannot hold a single request');
    }
    return { startS: nowS, entries, preempted, shape: shapeOf(entries) };
  }

  /** Applies a planned step that ended at `endS`. */
  commit(plan: StepPlan, endS: number): StepOutcome {
    const sampled: EngineRequest[] = [];
    const finished: EngineRequest[] = [];
    const started: EngineRequest[] = [];
    for (const { req, tokens } of plan.entries) {
      if (req.status !== 'running') continue; // aborted while the step ran
      if (req.firstScheduledS === null) {
        req.firstScheduledS = plan.startS;
        started.push(req);
      }
      req.computed += tokens;
      if (req.computed < req.promptTokens + req.output) continue; // prefill chunk, no token yet
      req.output += 1;
      if (req.firstTokenS === null) req.firstTokenS = endS;
      req.lastTokenS = endS;
      sampled.push(req);
      const reason = finishReasonOf(req, this.config.maxModelLen);
      if (reason !== null) {
        this.finish(req, reason, endS);
        finished.push(req);
      }
    }
    if (finished.length > 0) this.running = this.running.filter((r) => r.status === 'running');
    return { endS, sampled, finished, started, preempted: plan.preempted, shape: plan.shape };
  }

  /** Removes a request (client went away); frees its KV blocks. */
  abort(req: EngineRequest, nowS: number): void {
    if (req.status === 'finished') return;
    if (req.status === 'running') this.running = this.running.filter((r) => r !== req);
    else this.removeWaiting(req);
    this.finish(req, 'abort', nowS);
  }

  /** Drops every request without finishing them: an engine that died. */
  reset(): EngineRequest[] {
    const dropped = [...this.running, ...this.waiting.slice(this.waitingHead)];
    for (const req of dropped) {
      req.status = 'finished';
      req.finishReason = 'abort';
    }
    this.running = [];
    this.waiting = [];
    this.waitingHead = 0;
    this.freeBlocks = this.config.numBlocks;
    return dropped;
  }

  private tryAllocate(req: EngineRequest, tokens: number): boolean {
    const needed = Math.ceil((req.computed + tokens) / this.config.blockSize) - req.blocks;
    if (needed <= 0) return true;
    if (needed > this.freeBlocks) return false;
    this.freeBlocks -= needed;
    req.blocks += needed;
    return true;
  }

  private preempt(req: EngineRequest): void {
    this.freeBlocks += req.blocks;
    req.blocks = 0;
    req.computed = 0;
    req.status = 'waiting';
    req.preemptions += 1;
    this.preemptionCount += 1;
    if (this.waitingHead > 0) {
      this.waitingHead -= 1;
      this.waiting[this.waitingHead] = req;
    } else {
      this.waiting.unshift(req);
    }
  }

  private finish(req: EngineRequest, reason: FinishReason, nowS: number): void {
    this.freeBlocks += req.blocks;
    req.blocks = 0;
    req.status = 'finished';
    req.finishReason = reason;
    req.finishedS = nowS;
  }

  private popWaiting(): void {
    this.waitingHead += 1;
    // Compact now and then so the array does not grow without bound.
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }

  private removeWaiting(req: EngineRequest): void {
    const index = this.waiting.indexOf(req, this.waitingHead);
    if (index >= 0) this.waiting.splice(index, 1);
  }
}

function finishReasonOf(req: EngineRequest, maxModelLen: number): FinishReason | null {
  if (req.stopAtTokens !== null && req.output >= req.stopAtTokens) return 'stop';
  if (req.output >= req.maxTokens) return 'length';
  if (req.promptTokens + req.output >= maxModelLen) return 'length';
  return null;
}

function shapeOf(entries: PlannedEntry[]): StepShape {
  let tokens = 0;
  let prefillTokens = 0;
  let kvReadTokens = 0;
  let attnTokenPairs = 0;
  for (const { req, tokens: n } of entries) {
    tokens += n;
    if (req.computed < req.promptTokens)
      prefillTokens += Math.min(n, req.promptTokens - req.computed);
    kvReadTokens += req.computed + n;
    attnTokenPairs += n * (req.computed + n / 2);
  }
  return { seqs: entries.length, tokens, prefillTokens, kvReadTokens, attnTokenPairs };
}
