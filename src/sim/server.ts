/**
 * The simulated vLLM server on node:http: /v1/models, /v1/completions, /v1/chat/completions,
 * /health, /version and /metrics, over one or more data-parallel simulated engines, with
 * restarts and fault modes. `startSimServer` is the programmatic entry point tests use.
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FaultPicker, type FaultSpec, validateFault } from './faults.ts';
import { serveGeneration } from './generate.ts';
import { LiveEngine } from './liveEngine.ts';
import { EngineMetrics } from './metricsState.ts';
import { renderMetrics } from './metricsText.ts';
import { ApiError, type ApiKind, errorBody, parseRequest } from './openaiApi.ts';
import { resolveProfile, type SimProfile } from './profiles.ts';
import { seededUniform } from './random.ts';
import { faultResponse, metricsFaultResponse } from './serverFaults.ts';
import { listen, modelsBody, readBody, sendJson } from './serverHttp.ts';

export const SIM_VLLM_VERSION = '0.32.0+sim';

export interface SimServerOptions {
  /** Profile name or resolved profile; default `demo`. */
  profile?: string | SimProfile;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The simulated clock runs this many times faster than real hardware would. */
  speedup?: number;
  /** Data-parallel engines behind this one server (`engine` label "0", "1", …). */
  engines?: number;
  /** Metric names of vLLM V1 (default) or of the V0 engine (≤ 0.7). */
  era?: 'v1' | 'v0';
  servedModelName?: string;
  faults?: FaultSpec[];
  seed?: number;
  /** Mean output length of requests that do not set ignore_eos (exponential). */
  naturalOutputMeanTokens?: number;
}

export interface SimServer {
  url: string;
  port: number;
  profile: SimProfile;
  modelName: string;
  /** Resets every counter and drops in-flight work, as a process restart does. */
  restart(options?: { downtimeMs?: number }): Promise<void>;
  close(): Promise<void>;
  /** The /metrics body as it would be served now (no faults applied). */
  metricsText(): string;
}

interface HttpCount {
  handler: string;
  method: string;
  status: string;
  count: number;
  createdS: number;
}

const wallS = () => Date.now() / 1000;
const monoS = () => performance.now() / 1000;

export async function startSimServer(options: SimServerOptions = {}): Promise<SimServer> {
  const profile =
    typeof options.profile === 'object'
      ? options.profile
      : resolveProfile(options.profile ?? 'demo');
  const speedup = options.speedup ?? 1;
  if (!(speedup > 0)) throw new RangeError('invalid speedup');
  const engineCount = options.engines ?? 1;
  if (!(Number.isInteger(engineCount) && engineCount >= 1)) throw new RangeError('invalid engines');
  for (const fault of options.faults ?? []) validateFault(fault);
  const modelName = options.servedModelName ?? profile.model.servedName;
  const era = options.era ?? 'v1';
  const host = options.host ?? '127.0.0.1';
  const faults = new FaultPicker(options.faults ?? [], options.seed ?? 1);
  const uniform = seededUniform((options.seed ?? 1) * 7919);
  const naturalMean = options.naturalOutputMeanTokens ?? 200;
  const fingerprint = `vllm-${SIM_VLLM_VERSION.split('+')[0]}-sim`;
  const modelCreatedS = Math.floor(wallS());

  let processStartS = wallS();
  const newMetrics = () => new EngineMetrics(wallS(), profile.scheduler.maxModelLen);
  const engines = Array.from(
    { length: engineCount },
    () => new LiveEngine(profile, speedup, monoS, newMetrics()),
  );
  let http = new Map<string, HttpCount>();
  let requestSeq = 0;
  let roundRobin = 0;
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  const lastThroughput = { atS: monoS(), prompt: 0, generation: 0, promptRate: 0, genRate: 0 };

  const countHttp = (handler: string, method: string, status: number) => {
    const statusClass = `${Math.floor(status / 100)}xx`;
    const key = `${handler} ${method} ${statusClass}`;
    const entry = http.get(key) ?? {
      handler,
      method,
      status: statusClass,
      count: 0,
      createdS: wallS(),
    };
    entry.count += 1;
    http.set(key, entry);
  };

  const pickEngine = (): LiveEngine => {
    let best = engines[roundRobin % engines.length]!;
    for (let i = 1; i < engines.length; i++) {
      const candidate = engines[(roundRobin + i) % engines.length]!;
      if (candidate.load < best.load) best = candidate;
    }
    roundRobin += 1;
    return best;
  };

  const metricsText = (): string => {
    const now = monoS();
    const prompt = engines.reduce((s, e) => s + e.metrics.promptTokens, 0);
    const generation = engines.reduce((s, e) => s + e.metrics.generationTokens, 0);
    // V0 averaged throughput over its 5 s logging interval; recompute at most that often.
    if (now - lastThroughput.atS >= 5) {
      const dt = now - lastThroughput.atS;
      lastThroughput.promptRate = Math.max(0, prompt - lastThroughput.prompt) / dt;
      lastThroughput.genRate = Math.max(0, generation - lastThroughput.generation) / dt;
      Object.assign(lastThroughput, { atS: now, prompt, generation });
    }
    const usage = process.resourceUsage();
    return renderMetrics({
      era,
      modelName,
      engines: engines.map((e) => ({
        metrics: e.metrics,
        running: e.running,
        waiting: e.waiting,
        kvUsage: e.kvUsage,
      })),
      cache: {
        blockSize: profile.scheduler.blockSize,
        numGpuBlocks: profile.scheduler.numBlocks,
        gpuMemoryUtilization: profile.gpuMemoryUtilization,
        kvCacheMemoryBytes:
          (profile.kvCacheTokens *
            2 *
            profile.model.layers *
            profile.model.kvHeads *
            profile.model.headDim *
            profile.bytesPerKvElement) /
          profile.gpus,
        maxModelLen: profile.scheduler.maxModelLen,
      },
      process: {
        startTimeS: processStartS,
        residentBytes: process.memoryUsage().rss,
        cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
      },
      http: [...http.values()],
      v0Throughput: {
        promptTokPerS: lastThroughput.promptRate,
        generationTokPerS: lastThroughput.genRate,
      },
    });
  };

  const handleGenerate = async (
    api: ApiKind,
    req: IncomingMessage,
    res: ServerResponse,
    handler: string,
  ) => {
    const arrivalS = monoS();
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      countHttp(handler, 'POST', 400);
      return sendJson(
        res,
        400,
        errorBody(400, 'request body is not valid JSON', 'BadRequestError', null),
      );
    }
    let parsed: ReturnType<typeof parseRequest>;
    try {
      parsed = parseRequest(api, body, profile.scheduler.maxModelLen);
      if (parsed.model !== null && parsed.model !== modelName) {
        throw new ApiError(
          404,
          `The model \`${parsed.model}\` does not exist.`,
          'NotFoundError',
          'model',
        );
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      countHttp(handler, 'POST', err.status);
      return sendJson(res, err.status, errorBody(err.status, err.message, err.type, err.param));
    }
    const fault = faults.pick('request');
    if (fault && faultResponse(fault, res, hanging)) {
      countHttp(handler, 'POST', res.statusCode || 200);
      return;
    }
    const seq = requestSeq++;
    const natural = 1 + Math.floor(-Math.log(1 - uniform()) * naturalMean);
    const prefix = api === 'chat' ? 'chatcmpl' : 'cmpl';
    await serveGeneration(
      {
        api,
        parsed,
        engine: pickEngine(),
        chunk: {
          id: `${prefix}-${randomBytes(8).toString('hex')}`,
          created: Math.floor(wallS()),
          model: modelName,
        },
        requestSeq: seq,
        arrivalS,
        fault,
        fingerprint,
        naturalStopAt: natural,
      },
      req,
      res,
    );
    countHttp(handler, 'POST', res.statusCode || 200);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    res.setHeader('x-vllm-simulator', profile.name);
    if (req.method === 'POST' && path === '/v1/completions')
      return handleGenerate('completions', req, res, path);
    if (req.method === 'POST' && path === '/v1/chat/completions')
      return handleGenerate('chat', req, res, path);
    if (req.method === 'GET' && path === '/metrics') {
      const fault = faults.pick('metrics');
      if (fault) return metricsFaultResponse(fault, res, metricsText);
      res.writeHead(200, { 'content-type': 'text/plain; version=1.0.0; charset=utf-8' });
      return res.end(metricsText());
    }
    if (req.method === 'GET' && path === '/health') return res.writeHead(200).end();
    if (req.method === 'GET' && path === '/version') {
      return sendJson(res, 200, JSON.stringify({ version: SIM_VLLM_VERSION }));
    }
    if (req.method === 'GET' && path === '/v1/models') {
      countHttp(path, 'GET', 200);
      return sendJson(
        res,
        200,
        modelsBody(modelName, modelCreatedS, profile.scheduler.maxModelLen),
      );
    }
    return sendJson(res, 404, JSON.stringify({ detail: 'Not Found' }));
  };

  const server = createServer((req, res) => {
    Promise.resolve(handle(req, res)).catch((err: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, errorBody(500, String(err), 'InternalServerError', null));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server, options.port ?? 0, host);

  const dropConnections = () => {
    for (const res of hanging) res.destroy();
    hanging.clear();
    for (const socket of sockets) socket.destroy();
  };

  return {
    url: `http://${host}:${port}`,
    port,
    profile,
    modelName,
    metricsText,
    async restart(restartOptions = {}) {
      for (const engine of engines) engine.reset(newMetrics());
      http = new Map();
      processStartS = wallS();
      const downtimeMs = restartOptions.downtimeMs ?? 0;
      if (downtimeMs > 0) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        dropConnections();
        await closed;
        await new Promise((resolve) => setTimeout(resolve, downtimeMs));
        await listen(server, port, host);
      } else {
        dropConnections();
      }
    },
    async close() {
      for (const engine of engines) engine.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      dropConnections();
      await closed;
    },
  };
}
