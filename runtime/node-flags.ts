// The Node flags the embedded runtime runs under (`npm start`), in one place for the benchmarks that
// start it; runtime/node-flags.test.ts keeps package.json's start script equal to them.
// - A 192 MiB old space: live data after a load is about 26 MiB, the rest of a larger heap would only
//   be garbage V8 never hands back; 8 MiB semi-spaces bound the young generation the same way.
// - Single-threaded GC: V8's parallel and concurrent collectors run on 4 helper threads, which on the
//   two cores the event loop and the detection thread already keep busy only add synchronisation.
//   Under the compare load the runtime's threads other than the event loop and the detection thread
//   spent 0.41-0.42 ms of CPU per float32 EEG chunk with them and 0.10-0.11 without, and the runtime
//   stored 7-18 % (float32) and 8-21 % (JSON) more chunks per second; on MariaDB, whose round trips
//   the event loop waits on, the difference was within the spread (`npm run bench -- gc`,
//   perf/RESULTS.md). The flag is not allowed in NODE_OPTIONS, so it is a command-line flag.
export const RUNTIME_NODE_FLAGS: readonly string[] = [
  '--max-old-space-size=192',
  '--max-semi-space-size=8',
  '--single-threaded-gc',
];
