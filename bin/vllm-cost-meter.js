#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: no build step, no stale output.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv);
// Exit explicitly: keep-alive sockets and timers must not hold a finished command open.
process.exit(code);
