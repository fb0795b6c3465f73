import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { type FakeVllm, startFakeVllm } from './helpers/fakeVllm.ts';

const BIN = new URL('../../bin/vllm-cost-meter.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'meter-cli-'));
let server: FakeVllm;
let ticking: NodeJS.Timeout;

beforeAll(async () => {
  server = await startFakeVllm();
  // Steady traffic: 100 output tokens and one request every 50 ms → 2000 tok/s, 20 req/s.
  ticking = setInterval(() => {
    server.state.generationTokens += 100;
    server.state.finished.stop += 1;
  }, 50);
});

afterAll(async () => {
  clearInterval(ticking);
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('meter command', () => {
  it.each([
    [['meter', '--gpu-price', '1'], /give exactly one of --url/],
    [['meter', '--url', 'http://127.0.0.1:1'], /give the price/],
    [['meter', '--url', 'http://127.0.0.1:1', '--gpu-price', '-1'], /--gpu-price must be a number/],
    [['meter', '--url', 'http://127.0.0.1:1', '--gpu', 'h100', '--interval', 'x'], /--interval/],
    [['meter', '--url', 'http://127.0.0.1:1', '--gpu', 'h100', '--log', 'a.txt'], /--log/],
    [['meter', '--url', 'http://127.0.0.1:1', '--gpu', 'h100', '--gpus', '1.5'], /--gpus/],
  ])('%j exits 2 with one line', async (args, message) => {
    const result = await runCli(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('gives a --selector example that survives being pasted into a shell', async () => {
    const help = await runCli(['meter', '--help']);
    const example = help.stdout.split('\n').find((line) => /^\s*\$ .*--selector /.test(line));
    expect(example).toBeDefined();
    // Let bash split the pasted line into words, exactly as it would when the user runs it.
    const pasted = example!.replace(/^\s*\$\s*/, '');
    const words = await execa('bash', ['-c', `printf '%s\\n' ${pasted}`]);
    const args = String(words.stdout).split('\n');
    expect(args[args.indexOf('--selector') + 1]).toBe('job="vllm"');
  });

  it('exits 1 with one line when a timed run never got a sample', async () => {
    // Port 1 refuses connections: every scrape fails, so the run measured nothing.
    const url = 'http://127.0.0.1:1';
    const args = ['meter', '--url', url, '--gpu', 'h100', '--no-listen', '--interval', '200ms'];
    const result = await runCli([...args, '--duration', '1s']);
    expect(result.exitCode).toBe(1);
    const errors = result.stderr.split('\n').filter((line) => line.includes('no sample'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`no sample from ${url} succeeded in 1s`);
    expect(errors[0]).toMatch(/refused/i);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('prints one plain line per interval when stdout is not a terminal, then stops', async () => {
    const result = await runCli([
      'meter',
      '--url',
      server.url,
      '--gpu',
      'h100',
      '--interval',
      '250ms',
      '--windows',
      '1s,2s',
      '--duration',
      '2.1s',
      '--no-listen',
    ]);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4); // ~8 at 250 ms in 2.1 s; fewer on a busy machine
    expect(lines.length).toBeLessThanOrEqual(10);
    for (const line of lines) {
      expect(line).toMatch(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ok \| meta-llama\/Llama-3\.1-8B-Instruct \| 1s/,
      );
    }
    // The load comes from a timer in this process, so its exact rate depends on the machine;
    // what must hold is C_eff = 6.98e6 / (3600 × θ) for the θ printed beside it (both are
    // printed to 3 significant figures, hence the 1% margin).
    const last = lines.at(-1) as string;
    const match = /1s: \$([\d.]+)\/M out ([\d,.]+) tok\/s/.exec(last);
    expect(match).not.toBeNull();
    const cost = Number(match?.[1]);
    const tps = Number(match?.[2]?.replace(/,/g, ''));
    expect(tps).toBeGreaterThan(0);
    expect(Math.abs(cost - 6.98e6 / (3600 * tps)) / cost).toBeLessThan(0.01);
    expect(result.stderr).toMatch(/INFO\s+metering source=http:\/\/127\.0\.0\.1:\d+ mode=direct/);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s flushes the log, closes the endpoint and exits 0',
    async (signal) => {
      const log = join(dir, `run-${signal}.csv`);
      const meter = execa(
        'node',
        [
          BIN,
          'meter',
          '--url',
          server.url,
          '--gpu-price',
          '2',
          '--interval',
          '200ms',
          '--windows',
          '1s',
          '--listen',
          '0',
          '--log',
          log,
        ],
        { reject: false, timeout: 30_000 },
      );
      let stdout = '';
      let stderr = '';
      meter.stdout?.on('data', (chunk) => {
        stdout += String(chunk);
      });
      meter.stderr?.on('data', (chunk) => {
        stderr += String(chunk);
      });
      const deadline = Date.now() + 20_000;
      while (stdout.split('\n').length < 5 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const port = /http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(stderr)?.[1];
      expect(port).toBeDefined();
      const res = await request(`http://127.0.0.1:${port}/metrics`);
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toContain('vllm_cost_meter_output_tokens_per_second{');

      meter.kill(signal);
      const done = await meter;
      expect(done.exitCode).toBe(0);
      const printed = String(done.stdout).trim().split('\n').length;
      const rows = readFileSync(log, 'utf8').trim().split('\n');
      expect(rows[0]).toMatch(/^time,status,scope,/);
      // One row per printed line (one window): nothing shown was lost from the log.
      expect(rows.length - 1).toBe(printed);
      expect(String(done.stderr)).toMatch(new RegExp(`INFO\\s+stopped reason=${signal}`));
      await expect(request(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    },
  );
});
