/**
 * The timed server of driver.timing.test.ts in its own process, so its timers and the driver's
 * callbacks do not queue behind each other on one event loop. Truth is reported as differences
 * of this process's own clock (no clock alignment needed):
 *   in:  {type:'truth'} → out: {type:'truth', truth: {id: {arrivedAt, writes}}}
 *   out at start: {type:'listening', url}
 */

import { timedServer } from './servers.ts';

const options = JSON.parse(process.argv[2] ?? '{}');
const server = await timedServer(options);
process.on('message', (m: { type: string }) => {
  if (m.type === 'truth')
    process.send?.({ type: 'truth', truth: Object.fromEntries(server.truth) });
});
process.on('disconnect', () => {
  void server.close().then(() => process.exit(0));
});
process.send?.({ type: 'listening', url: server.url });
