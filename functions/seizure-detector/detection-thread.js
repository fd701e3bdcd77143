// Worker-thread entry of the detection pool. The sources are TypeScript, and a worker thread does not
// inherit the loader `bin/vigil.js` registered on the main thread, so register tsx here as well.
import { register } from 'tsx/esm/api';

register();
await import('./detection-worker.ts');
