/** Starts `vllm-cost-meter sim` as a child process, the way the harness does, and stops it. */

import { execa, type ResultPromise } from 'execa';

const BIN = new URL('../../bin/vllm-cost-meter.js', import.meta.url).pathname;

export interface SimProcess {
  url: string;
  stop(): Promise<{ exitCode: number | undefined; stderr: string }>;
}

export async function startSimProcess(args: string[], timeoutMs = 30_000): Promise<SimProcess> {
  const child: ResultPromise = execa('node', [BIN, 'sim', '--port', '0', ...args], {
    reject: false,
    buffer: { stdout: false, stderr: true },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`sim did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.catch(reject);
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      const result = await child;
      return { exitCode: result.exitCode, stderr: String(result.stderr ?? '') };
    },
  };
}
