#!/usr/bin/env -S node --initial-old-space-size=256
// The heap starts large: with a small live heap V8 would run a full mark-compact every half
// second under load, and each pause delays the driver's sends by milliseconds (bench-driver).
// Runs the TypeScript sources directly through tsx: no build step, no stale output.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv);
// Exit explicitly: keep-alive sockets and timers must not hold a finished command open.
process.exit(code);
