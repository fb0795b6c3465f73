/**
 * A real Prometheus (Debian's `prometheus` package) on a loopback port for fleet-mode tests:
 * its own config and storage in a temporary folder, scraping the given targets every second,
 * stopped by PID. Prometheus cannot listen on port 0, so a free port is picked first.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';

export const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;

export interface PrometheusHandle {
  url: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function getJson(url: string): Promise<unknown> {
  const res = await request(url);
  const text = await res.body.text();
  return res.statusCode === 200 ? JSON.parse(text) : null;
}

async function until(what: string, deadlineMs: number, test: () => Promise<boolean>) {
  while (Date.now() < deadlineMs) {
    if (await test().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Prometheus: timed out waiting for ${what}`);
}

/** Starts Prometheus scraping `targets` (host:port) as job `vllm`; resolves once all are up. */
export async function startPrometheus(targets: string[]): Promise<PrometheusHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'meter-prom-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: vllm',
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let stderr = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + String(chunk)).slice(-4000);
  });

  const close = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 30_000;
    await until('/-/ready', deadline, async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
      const res = await request(`${url}/-/ready`);
      await res.body.dump();
      return res.statusCode === 200;
    });
    await until('every target up', deadline, async () => {
      const body = (await getJson(`${url}/api/v1/query?query=sum(up)`)) as {
        data: { result: Array<{ value: [number, string] }> };
      } | null;
      return Number(body?.data.result[0]?.value[1]) === targets.length;
    });
  } catch (err) {
    await close();
    throw err;
  }
  return { url, close };
}
