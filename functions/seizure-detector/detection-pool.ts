// Detection on worker threads: feature extraction and the ONNX call take about 1 ms of CPU per
// 23-channel second, which on the embedded runtime's event loop would delay every acknowledgement.
// The pool runs the same scoreStream() on its threads and answers with the same ScoredRun. A stream's
// whole run goes in one message: one round trip per run, not per chunk, and the stream's windows are
// encoded for storage once per run instead of once per chunk.
import { Worker } from 'node:worker_threads';
import type { ScoringReply, ScoringRequest } from './detection-worker.ts';
import type { ScoredRun, ScoreStream } from './stream-scoring.ts';

export interface DetectionPoolOptions {
  threads?: number;
  /** Model directory (default models/seizure). */
  modelDir?: string | undefined;
}

interface Pending {
  resolve: (r: ScoredRun) => void;
  reject: (e: Error) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

// From sources the thread must register tsx itself (detection-thread.js); compiled, it runs the worker.
const ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./detection-thread.js', import.meta.url)
  : new URL('./detection-worker.js', import.meta.url);

export class DetectionPool {
  readonly #threads: Thread[] = [];
  readonly #modelDir: string | undefined;
  #nextId = 0;
  #closed = false;

  constructor(opts: DetectionPoolOptions = {}) {
    this.#modelDir = opts.modelDir;
    const n = Math.max(1, opts.threads ?? 1);
    for (let i = 0; i < n; i++) this.#threads.push(this.#spawn());
  }

  #spawn(): Thread {
    const worker = new Worker(ENTRY, {
      workerData: { modelDir: this.#modelDir },
      // A chunk's features are a few hundred KB; a small heap keeps the runtime's RSS bounded.
      resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 },
    });
    const thread: Thread = { worker, pending: new Map() };
    worker.on('message', (r: ScoringReply) => {
      const p = thread.pending.get(r.id);
      if (!p) return;
      thread.pending.delete(r.id);
      if (thread.pending.size === 0) worker.unref();
      if (r.ok) p.resolve(r.run);
      else p.reject(new Error(r.error));
    });
    // A thread that dies fails what it held (the broker retries those chunks) and is replaced.
    const fail = (err: Error) => {
      for (const p of thread.pending.values()) p.reject(err);
      thread.pending.clear();
      const i = this.#threads.indexOf(thread);
      if (i >= 0 && !this.#closed) this.#threads[i] = this.#spawn();
    };
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => fail(new Error(`detection thread exited with code ${code}`)));
    // Referenced only while it holds work: an idle pool never keeps the process alive.
    worker.unref();
    return thread;
  }

  /** scoreStream() on the least busy thread. */
  readonly score: ScoreStream = (state, chunks, settings) => {
    if (this.#closed) return Promise.reject(new Error('detection pool is closed'));
    let thread = this.#threads[0]!;
    for (const t of this.#threads) if (t.pending.size < thread.pending.size) thread = t;
    const id = this.#nextId++;
    return new Promise<ScoredRun>((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      // The chunks are copied (structured clone): the broker still holds them for other subscribers.
      const req: ScoringRequest = { id, state, chunks, settings };
      thread.worker.postMessage(req);
    });
  };

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.map((t) => t.worker.terminate()));
  }
}
