import { describe, expect, it } from 'vitest';
import type { Db } from '../../storage/db.ts';
import type { VigilEvent } from '../event.ts';
import type { VigilFunction } from '../subscriber.ts';
import { type DeliveryFailure, type DeliveryOutcomes, Dispatcher } from './dispatcher.ts';
import type { Route } from './routes.ts';

const route: Route = {
  trigger: 't',
  subscriber: 'f',
  filter: {},
  delivery: { retry: 2, backoffPolicy: 'exponential', backoffDelayMs: 20 },
};

const event = (seq: number): VigilEvent => ({ specversion: '1.0', id: `e${seq}`, source: '/s', type: 'in' });

type Call =
  | { kind: 'complete'; seqs: number[]; replies: string[] }
  | { kind: 'retry'; seq: number; attempts: number; delay: number }
  | { kind: 'deadLetter'; seq: number; attempts: number; error: string };

/** A dispatcher over one Trigger whose outcomes are recorded (failing the first `refuse` of them). */
function dispatcher(fn: VigilFunction, refuse = 0) {
  const calls: Call[] = [];
  const failures: DeliveryFailure[] = [];
  let refused = 0;
  const record = async (c: Call) => {
    if (refused++ < refuse) throw new Error('storage down');
    calls.push(c);
  };
  const outcomes: DeliveryOutcomes = {
    complete: (_t, seqs, replies) => record({ kind: 'complete', seqs, replies: replies.map((r) => r.id) }),
    retry: (_t, item, _e, nextAt) =>
      record({ kind: 'retry', seq: item.seq, attempts: item.attempts, delay: nextAt - Date.now() }),
    deadLetter: (_t, item, _e, error) =>
      record({ kind: 'deadLetter', seq: item.seq, attempts: item.attempts, error }),
  };
  const d = new Dispatcher({
    routes: [{ route, fn, queue: { maxBatch: 8, concurrency: 1 } }],
    // These subscribers never touch storage, and the dispatcher itself writes nothing.
    ctx: { db: {} as Db, now: Date.now },
    eventOf: event,
    outcomes,
    onFailure: (f) => failures.push(f),
  });
  d.start();
  const settled = async () => {
    while (d.inflight > 0 || d.waiting > 0) await new Promise((r) => setTimeout(r, 5));
  };
  return { d, calls, failures, settled };
}

const failing = (message: string): VigilFunction => ({
  name: 'f',
  handle: async () => {
    throw new Error(message);
  },
});

describe('dispatcher', () => {
  it('retries a failing delivery with exponential backoff, then dead-letters it', async () => {
    const { d, calls, failures, settled } = dispatcher(failing('down'));
    d.schedule('t', { seq: 1, attempts: 0 }, 0);
    await settled();
    expect(calls.map((c) => c.kind)).toEqual(['retry', 'retry', 'deadLetter']);
    const [r1, r2, dl] = calls as [Call & { delay: number }, Call & { delay: number }, Call];
    expect(r1.delay).toBeGreaterThan(10);
    expect(r1.delay).toBeLessThanOrEqual(20);
    expect(r2.delay).toBeGreaterThan(30); // doubled
    expect(dl).toEqual({ kind: 'deadLetter', seq: 1, attempts: 3, error: 'down' });
    expect(failures.map((f) => [f.attempts, f.deadLettered])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
  });

  it('resumes from the stored attempt count (after a restart)', async () => {
    const { d, calls, settled } = dispatcher(failing('down'));
    d.schedule('t', { seq: 7, attempts: 2 }, 0);
    await settled();
    expect(calls).toEqual([{ kind: 'deadLetter', seq: 7, attempts: 3, error: 'down' }]);
  });

  it('completes a batch with its replies, and fails one that replies with its input type', async () => {
    let loop = false;
    const fn: VigilFunction = {
      name: 'f',
      handle: async (e) => [{ ...e, id: `${e.id}.r`, type: loop ? 'in' : 'out' }],
      handleBatch: async (es) => es.map((e) => ({ ...e, id: `${e.id}.r`, type: loop ? 'in' : 'out' })),
    };
    const { d, calls, failures, settled } = dispatcher(fn);
    d.schedule('t', { seq: 1, attempts: 0 }, 0);
    d.schedule('t', { seq: 2, attempts: 0 }, 0);
    await settled();
    expect(calls[0]).toEqual({ kind: 'complete', seqs: [1], replies: ['e1.r'] });
    expect(calls[1]).toEqual({ kind: 'complete', seqs: [2], replies: ['e2.r'] });
    loop = true;
    d.schedule('t', { seq: 3, attempts: 2 }, 0);
    await settled();
    expect(calls[2]).toMatchObject({ kind: 'deadLetter', seq: 3 });
    expect(failures[0]!.error).toMatch(/input type/);
  });

  it('keeps a delivery whose failure could not be recorded, and tries it again', async () => {
    const { d, calls, settled } = dispatcher(failing('down'), 1);
    d.schedule('t', { seq: 1, attempts: 2 }, 0);
    await settled();
    // The first dead-lettering was refused by storage: the same attempt was made again, then recorded.
    expect(calls).toEqual([{ kind: 'deadLetter', seq: 1, attempts: 3, error: 'down' }]);
  }, 5000);

  it('does not start new deliveries once stopped', async () => {
    const seen: string[] = [];
    const { d, settled } = dispatcher({
      name: 'f',
      handle: async (e) => {
        seen.push(e.id);
        return [];
      },
    });
    d.stop();
    d.schedule('t', { seq: 1, attempts: 0 }, 0);
    await settled();
    expect(seen).toEqual([]);
  });

  it('delivers a retried event alone, so one that keeps failing takes no batch of others with it', async () => {
    // each call takes a while, as real work does, so retries due together queue up behind one another
    const slowly = () => new Promise((r) => setTimeout(r, 5));
    const calledWith: string[][] = [];
    const poisoned: VigilFunction = {
      name: 'f',
      handle: async (e) => {
        calledWith.push([e.id]);
        await slowly();
        if (e.id === 'e3') throw new Error('poison');
        return [];
      },
      handleBatch: async (es) => {
        calledWith.push(es.map((e) => e.id));
        await slowly();
        if (es.some((e) => e.id === 'e3')) throw new Error('poison');
        return [];
      },
    };
    const { d, calls, settled } = dispatcher(poisoned);
    for (const seq of [1, 2, 3, 4, 5]) d.schedule('t', { seq, attempts: 0 }, 0);
    await settled();
    // the first batch with e3 fails as a whole; every retry of e3 goes alone
    const withPoison = calledWith.filter((ids) => ids.includes('e3'));
    expect(withPoison.length).toBe(3);
    expect(withPoison.slice(1)).toEqual([['e3'], ['e3']]);
    expect(calls.filter((c) => c.kind === 'deadLetter').map((c) => (c as { seq: number }).seq)).toEqual([3]);
    const completed = calls.flatMap((c) => (c.kind === 'complete' ? c.seqs : [])).sort();
    expect(completed).toEqual([1, 2, 4, 5]);
  });
});
