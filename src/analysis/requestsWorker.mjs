// Worker threads start without the parent's TypeScript loader: register tsx, then run the
// worker written in TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./requestsWorker.ts');
