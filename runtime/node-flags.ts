// The Node flags the embedded runtime runs under (`npm start`), in one place for the benchmarks that
// start it; runtime/node-flags.test.ts keeps package.json's start script equal to them.
// - A 192 MiB old space: live data after a load is about 26 MiB, the rest of a larger heap would only
//   be garbage V8 never hands back; 8 MiB semi-spaces bound the young generation the same way.
// - Single-threaded GC: V8's parallel and concurrent collectors run on 4 helper threads, which on the
//   two cores the event loop and the detection thread already keep busy only add synchronisation. On
//   the compare load they cost about 0.4 ms of CPU per EEG chunk of the 1.7 the runtime spent; with
//   the collector on the threads that allocate, the runtime stores about a fifth more chunks per second
//   (perf/RESULTS.md, `npm run bench -- compare`). Not allowed in NODE_OPTIONS, so it is a flag here.
export const RUNTIME_NODE_FLAGS: readonly string[] = [
  '--max-old-space-size=192',
  '--max-semi-space-size=8',
  '--single-threaded-gc',
];
