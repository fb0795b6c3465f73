// Runs a scenario's server command and makes sure it never outlives the harness.
//
// The harness starts this guard as the leader of a new process group, with a pipe on stdin;
// the guard starts the real server inside the same group. When the harness dies, even by
// SIGKILL, the kernel closes the pipe and the guard stops the whole group: SIGTERM, then
// SIGKILL after the grace period. Plain JavaScript so it starts fast and needs no loader.
//
// Usage: node serverGuard.mjs <graceMs> <command> [args...]
import { spawn } from 'node:child_process';

const [graceArg, command, ...args] = process.argv.slice(2);
const graceMs = Number(graceArg);
const stamp = () => new Date().toISOString();
const say = (text) => process.stderr.write(`# ${stamp()} guard: ${text}\n`);

if (!command || !Number.isFinite(graceMs)) {
  say('usage: serverGuard.mjs <graceMs> <command> [args...]');
  process.exit(2);
}

const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;

// `resend` is false when the signal already went to the whole group (the harness sends it to
// the group): a second SIGTERM makes some servers skip their clean shutdown.
function stopGroup(reason, resend) {
  if (stopping) return;
  stopping = true;
  say(`${reason}: stopping the server (SIGTERM, SIGKILL after ${graceMs} ms)`);
  if (resend) {
    try {
      process.kill(-process.pid, 'SIGTERM');
    } catch {
      // the group is already gone
    }
  }
  setTimeout(() => {
    say('grace period over: SIGKILL');
    process.kill(-process.pid, 'SIGKILL');
  }, graceMs);
}

// The command line is in the harness's own header line above (with any API key masked).
child.on('spawn', () => say(`started server pid=${child.pid}: ${command}`));
child.on('error', (err) => {
  say(`cannot start ${command}: ${err.message}`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  say(`server pid=${child.pid} exited (code ${code}, signal ${signal})`);
  // While stopping, take any helper processes the server left behind down with the guard.
  if (stopping) process.kill(-process.pid, 'SIGKILL');
  process.exit(code ?? 128);
});

// The group SIGTERM reaches the guard too: keep running until the server has gone.
process.on('SIGTERM', () => stopGroup('SIGTERM received', false));
process.on('SIGINT', () => stopGroup('SIGINT received', false));
process.on('SIGHUP', () => stopGroup('SIGHUP received', true));
process.stdin.on('end', () => stopGroup('the harness went away', true));
process.stdin.on('error', () => stopGroup('the harness went away', true));
process.stdin.resume();
