// Detection on worker threads: feature extraction and the ONNX call take about 1 ms of CPU per
// 23-channel second, which on the embedded runtime's event loop would delay every acknowledgement.
// The pool runs the same detectChunk() on its threads and answers with the same ChunkDetection.
import { Worker } from 'node:worker_threads';
import type { ChunkDetection, SignalHistory } from './detect.ts';
import type { DetectionReply, DetectionRequest } from './detection-worker.ts';

export type Detect = (
  samples: ReadonlyArray<ArrayLike<number>>,
  sampleRateHz: number,
  history: SignalHistory | null,
) => Promise<ChunkDetection>;

export interface DetectionPoolOptions {
  threads?: number;
  /** Model directory (default models/seizure). */
  modelDir?: string | undefined;
}

interface Pending {
  resolve: (d: ChunkDetection) => void;
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
    worker.on('message', (r: DetectionReply) => {
      const p = thread.pending.get(r.id);
      if (!p) return;
      thread.pending.delete(r.id);
      if (thread.pending.size === 0) worker.unref();
      if (r.ok) p.resolve(r.detection);
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

  /** detectChunk() on the least busy thread. */
  readonly detect: Detect = (samples, sampleRateHz, history) => {
    if (this.#closed) return Promise.reject(new Error('detection pool is closed'));
    const nChannels = samples.length;
    const n = nChannels === 0 ? 0 : samples[0]!.length;
    // Float32 rows (every chunk past the door) travel as float32: half the bytes, the same values.
    const flat = samples.every((row) => row instanceof Float32Array)
      ? new Float32Array(nChannels * n)
      : new Float64Array(nChannels * n);
    for (let c = 0; c < nChannels; c++) flat.set(samples[c]!, c * n);
    let thread = this.#threads[0]!;
    for (const t of this.#threads) if (t.pending.size < thread.pending.size) thread = t;
    const id = this.#nextId++;
    return new Promise<ChunkDetection>((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      const req: DetectionRequest = { id, sampleRateHz, nChannels, samples: flat, history };
      thread.worker.postMessage(req, [flat.buffer]);
    });
  };

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.map((t) => t.worker.terminate()));
  }
}
