/**
 * The timed server of driver.timing.test.ts in its own process, so its timers and the driver's
 * callbacks do not queue behind each other on one event loop. Truth is in wall-clock ms; the
 * test aligns the two processes' clocks with the ping-pong below:
 *   in:  {type:'truth'} → out: {type:'truth', truth: {id: {arrivedAt, writes}}}
 *   in:  {type:'clock', t1} → out: {type:'clock', t1, t2}
 *   out at start: {type:'listening', url}
 */

import { timedServer } from './servers.ts';

const options = JSON.parse(process.argv[2] ?? '{}');
const server = await timedServer(options);
process.on('message', (m: { type: string }) => {
  if (m.type === 'truth')
    process.send?.({ type: 'truth', truth: Object.fromEntries(server.truth) });
  if (m.type === 'clock') {
    const { t1 } = m as unknown as { t1: number };
    process.send?.({ type: 'clock', t1, t2: performance.timeOrigin + performance.now() });
  }
});
process.on('disconnect', () => {
  void server.close().then(() => process.exit(0));
});
process.send?.({ type: 'listening', url: server.url });
