import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insideDir } from '../../src/harness/names.ts';
import { createRunDir, runPaths } from '../../src/harness/resultsDir.ts';
import { ScenarioError } from '../../src/harness/scenario/issues.ts';
import { parseScenarioText } from '../../src/harness/scenario/load.ts';
import { resolveMeterConfig } from '../../src/meter/config.ts';
import { type SimServer, startSimServer } from '../../src/sim/server.ts';
import { CostMeterError } from '../../src/util/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { type FakeVllm, startFakeVllm } from '../meter/helpers/fakeVllm.ts';
import { onlyRunDir, readRun, stackLines } from './helpers/results.ts';
import { BIN, ROOT, scenarioYaml, writeScenario } from './helpers/scenario.ts';

/**
 * The doors the tool must keep shut: the meter's endpoint (loopback unless told, read-only),
 * API keys (from the environment or a file, never written anywhere), the server command (an
 * argv, never a shell line) and names that become paths (never outside the results directory).
 * HTML escaping is in htmlEscaping.test.ts.
 */

const work = mkdtempSync(join(tmpdir(), 'vcm-rel-sec-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the meter endpoint', () => {
  let fake: FakeVllm;
  beforeAll(async () => {
    fake = await startFakeVllm();
  });
  afterAll(() => fake.close());

  it('listens on 127.0.0.1 unless --bind (or a --listen host) says otherwise', () => {
    const base = { url: fake.url, gpuPrice: 2 };
    expect(resolveMeterConfig(base).listen).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(resolveMeterConfig({ ...base, bind: '0.0.0.0' }).listen?.host).toBe('0.0.0.0');
    expect(resolveMeterConfig({ ...base, listen: '10.0.0.1:9000' }).listen).toEqual({
      host: '10.0.0.1',
      port: 9000,
    });
  });

  /** Starts `meter` with an endpoint on a free port; resolves with its URL from the log. */
  async function meterWithEndpoint(extra: string[]) {
    const child = execa(
      'node',
      [BIN, 'meter', '--url', fake.url, '--gpu-price', '2', '--interval', '200ms'].concat(
        ['--windows', '1s', '--listen', '0', '--plain'],
        extra,
      ),
      { reject: false, timeout: 30_000 },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    let url: string | undefined;
    for (let i = 0; i < 300 && !url; i++) {
      await sleep(50);
      url = /endpoint="(http:\/\/[^ ]+):?\/metrics/.exec(stderr)?.[1];
    }
    if (!url) child.kill('SIGKILL');
    return { child, url: url as string };
  }

  it('serves GET and HEAD only, on loopback; the metered server only ever gets GETs', async () => {
    const { child, url } = await meterWithEndpoint([]);
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const get = await request(`${url}/metrics`);
      expect(get.statusCode).toBe(200);
      await get.body.text();
      const head = await request(`${url}/cost`, { method: 'HEAD' });
      expect(head.statusCode).toBe(200);
      expect(await head.body.text()).toBe('');
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const) {
        const res = await request(`${url}/metrics`, {
          method,
          body: method === 'POST' ? 'x' : undefined,
        });
        expect({ method, status: res.statusCode }).toEqual({ method, status: 405 });
        expect(res.headers.allow).toBe('GET, HEAD');
        await res.body.text();
      }
    } finally {
      child.kill('SIGTERM');
      await child;
    }
    expect(fake.requests.length).toBeGreaterThan(0);
    for (const line of fake.requests) expect(line).toMatch(/^GET /);
  }, 40_000);

  it('--bind moves it: bound to 127.0.0.2, nothing answers on 127.0.0.1', async () => {
    const { child, url } = await meterWithEndpoint(['--bind', '127.0.0.2']);
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
      const port = new URL(url).port;
      const res = await request(`${url}/cost`);
      expect(res.statusCode).toBe(200);
      await res.body.text();
      await expect(request(`http://127.0.0.1:${port}/cost`)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      child.kill('SIGTERM');
      await child;
    }
  }, 40_000);
});

/**
 * A gateway in front of a simulator that checks the API key and, like a careless proxy,
 * echoes the Authorization header back: in 401s, in 429 bodies, in error events on a 200
 * stream and in /version. Whatever it echoes must never reach a file, a log line or a report.
 */
async function startEchoGateway(
  sim: SimServer,
  key: string,
): Promise<{ url: string; server: Server }> {
  let generation = 0;
  const target = new URL(sim.url);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const auth = String(req.headers.authorization);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify(body));
    };
    if (auth !== `Bearer ${key}`) return json(401, { error: { message: `bad key: ${auth}` } });
    if (req.url === '/version') return json(200, { version: `0.32.0 (auth ${auth})` });
    if (req.method === 'POST') {
      generation += 1;
      if (generation % 4 === 1) return json(429, { error: { message: `slow down, ${auth}` } });
      if (generation % 4 === 2) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${JSON.stringify({ error: { message: `engine failed for ${auth}` } })}\n\n`);
        return;
      }
    }
    req.pipe(forwardTo(target, req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function forwardTo(target: URL, req: IncomingMessage, res: ServerResponse) {
  const { method, url: path, headers } = req;
  const upstream = httpRequest(
    { host: target.hostname, port: target.port, method, path, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  return upstream;
}

describe('API keys', () => {
  const ENV_KEY = 'sk-ENVKEY-7f3a9c1e5b2d4680';
  const FILE_KEY = 'sk-FILEKEY-0a1b2c3d4e5f6789';
  let sims: SimServer[] = [];
  let gateways: Server[] = [];

  afterAll(async () => {
    for (const g of gateways) await new Promise((r) => g.close(r));
    for (const s of sims) await s.close();
  });

  it('come from an environment variable or a file and appear in no output at all', async () => {
    sims = [
      await startSimServer({ profile: 'demo', speedup: 20 }),
      await startSimServer({ profile: 'demo', speedup: 20 }),
    ];
    const envGate = await startEchoGateway(sims[0] as SimServer, ENV_KEY);
    const fileGate = await startEchoGateway(sims[1] as SimServer, FILE_KEY);
    gateways = [envGate.server, fileGate.server];
    writeFileSync(join(work, 'key.txt'), `${FILE_KEY}\n`);
    const file = join(work, 'keys.yaml');
    writeFileSync(
      file,
      scenarioYaml({ name: 'keys', measureRequests: 8 }).concat(
        'variants:\n',
        `  - {name: envkey, target: "${envGate.url}", apiKeyEnv: VCM_BEARER}\n`,
        `  - {name: filekey, target: "${fileGate.url}", apiKeyFile: key.txt}\n`,
      ),
    );
    // VCM_BEARER does not look like a secret by its name: only the tool's own redaction helps.
    const env = { VCM_BEARER: ENV_KEY };
    const out = join(work, 'keys-out');
    const run = await runCli(['run', file, '--out', out], { env });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(stackLines(run.stderr)).toEqual([]);
    const dir = onlyRunDir(out);
    const analyze = await runCli(['analyze', dir], { env, timeoutMs: 120_000 });
    expect(analyze.exitCode, analyze.stderr).toBe(0);

    // The gateway did echo the keys: the records show where, redacted.
    const files = readRun(dir);
    const errors = files.requests.filter((r) => !r.ok).map((r) => r.error?.message);
    expect(errors).toContain('HTTP 429 (Retry-After: 1): slow down, Bearer [redacted]');
    expect(errors).toContain('engine failed for Bearer [redacted]');
    expect(files.manifest.variants.map((v) => v.serverVersion)).toEqual([
      '0.32.0 (auth Bearer [redacted])',
      '0.32.0 (auth Bearer [redacted])',
    ]);

    // And no key anywhere: streams, results, analysis, report, figures.
    const outputs = [run.stdout, run.stderr, analyze.stdout, analyze.stderr].concat(
      filesUnder(dir).map((f) => readFileSync(f, 'latin1')),
    );
    expect(filesUnder(dir).some((f) => f.endsWith('report.html'))).toBe(true);
    for (const text of outputs) {
      expect(text.includes(ENV_KEY)).toBe(false);
      expect(text.includes(FILE_KEY)).toBe(false);
    }
  }, 150_000);

  it('a missing or empty key stops the run before anything starts (exit 2, one line)', async () => {
    const base = scenarioYaml({ name: 'nokey', targets: { a: 'http://127.0.0.1:9' } });
    const unset = join(work, 'unset.yaml');
    writeFileSync(
      unset,
      base.replace('variants:\n', 'apiKeyEnv: VCM_NOT_SET_ANYWHERE\nvariants:\n'),
    );
    const r1 = await runCli(['run', unset, '--out', join(work, 'nokey-out')]);
    expect(r1.exitCode).toBe(2);
    expect(r1.stderr.trim()).toBe(
      'vllm-cost-meter: apiKeyEnv: the environment variable VCM_NOT_SET_ANYWHERE is not set ' +
        "(variant 'a')",
    );
    writeFileSync(join(work, 'empty.txt'), '\n');
    const empty = join(work, 'empty.yaml');
    writeFileSync(empty, base.replace('variants:\n', 'apiKeyFile: empty.txt\nvariants:\n'));
    const r2 = await runCli(['run', empty, '--out', join(work, 'nokey-out')]);
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr.trim()).toMatch(
      /^vllm-cost-meter: apiKeyFile .*empty\.txt \(variant 'a'\) is empty/,
    );
    expect(existsSync(join(work, 'nokey-out'))).toBe(false);
  }, 30_000);
});

describe('the server command', () => {
  it('is an argv: shell metacharacters reach the server verbatim, and run nothing', async () => {
    const hostile = 'm; touch PWNED1 $(touch PWNED2) `touch PWNED3` | tee PWNED4 && echo >PWNED5 *';
    const out = join(work, 'argv');
    const file = writeScenario(join(work, 'argv.yaml'), {
      name: 'argv',
      measureRequests: 4,
      extra: [
        'server:',
        `  command: [node, ${JSON.stringify(BIN)}, sim, --port, "{port}", --speedup, "20",`,
        `    --served-model-name, ${JSON.stringify(hostile)}]`,
        `  cwd: ${JSON.stringify(work)}`,
        '  startupTimeoutSeconds: 60',
      ],
    });
    const r = await runCli(['run', file, '--out', out, '--quiet'], { cwd: work });
    expect(r.exitCode, r.stderr).toBe(0);
    const run = readRun(onlyRunDir(out));
    // The simulator served exactly the string it was given as one argument.
    expect(run.manifest.variants[0]?.model).toBe(hostile);
    expect(run.manifest.variants[0]?.serverArgv?.at(-1)).toBe(hostile);
    expect(readdirSync(work).filter((f) => f.startsWith('PWNED'))).toEqual([]);
    expect(readdirSync(ROOT).filter((f) => f.startsWith('PWNED'))).toEqual([]);
  }, 90_000);

  it('a shell string is refused: the scenario must give a list', () => {
    const text = scenarioYaml({ name: 'shell' }).concat(
      'server:\n  command: "vllm serve m; rm -rf /"\n',
    );
    expect(() => parseScenarioText(text, 'shell.yaml')).toThrow(
      /server\.command: must be a list of arguments like \[vllm, serve, MODEL\], not a shell/,
    );
  });
});

describe('names that become paths', () => {
  const HOSTILE = [
    '../escape',
    '..',
    '.',
    '/etc/passwd',
    'a/b',
    'a\\b',
    'nul\u0000byte',
    'x'.repeat(65),
    '.hidden',
    '-rf',
    'new\nline',
    '',
  ];

  it.each(HOSTILE)('scenario and variant name %j are refused by the loader', (name) => {
    const quoted = JSON.stringify(name);
    for (const text of [
      scenarioYaml({ name: 'ok', targets: { v: 'http://127.0.0.1:9' } }).replace(
        'name: ok',
        `name: ${quoted}`,
      ),
      scenarioYaml({ name: 'ok', targets: { v: 'http://127.0.0.1:9' } }).replace(
        '{name: v,',
        `{name: ${quoted},`,
      ),
    ]) {
      let error: unknown = null;
      try {
        parseScenarioText(text, 'names.yaml');
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ScenarioError);
      expect((error as ScenarioError).message).toMatch(
        /name: (must be 1–64 letters|must not be empty)/,
      );
    }
  });

  it('whatever name reaches the results code, every path stays inside the results root', () => {
    const root = join(work, 'paths');
    const inside = (parent: string, child: string) => {
      const rel = relative(parent, child);
      return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    };
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom(...HOSTILE)),
        (name) => {
          const paths = createRunDir(root, name, new Date(), 0);
          expect(inside(root, paths.dir)).toBe(true);
          expect(inside(paths.dir, paths.serverLog(name))).toBe(true);
          expect(inside(paths.dir, runPaths(paths.dir).serverLog(`../../${name}`))).toBe(true);
          try {
            expect(inside(root, insideDir(root, name))).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(CostMeterError);
          }
        },
      ),
      { numRuns: 200, seed: 21 },
    );
  });
});
