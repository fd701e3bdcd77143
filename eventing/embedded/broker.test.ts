import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { heldFunctions } from '../../functions/testing.ts';
import type { Db } from '../../storage/db.ts';
import { testBackends } from '../../storage/testing.ts';
import type { VigilEvent } from '../event.ts';
import type { VigilFunction } from '../subscriber.ts';
import { BrokerFullError, EmbeddedBroker } from './broker.ts';
import { decodeEvent } from './outbox-codec.ts';
import { parseRoutes } from './routes.ts';

const YAML = `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
spec:
  delivery: { retry: 2, backoffPolicy: exponential, backoffDelay: PT0.05S }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: a-to-alpha }
spec:
  broker: default
  filter: { attributes: { type: test.a } }
  subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: alpha } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: all-to-sink }
spec:
  broker: default
  subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: sink } }
`;

function ev(id: string, type = 'test.a', data: unknown = { n: 1 }): VigilEvent {
  return { specversion: '1.0', id, source: '/devices/d1', type, data };
}

/** Subscribers that never finish: every accepted event stays pending. */
function stuckFunctions(): Map<string, VigilFunction> {
  const stuck = (name: string): VigilFunction => ({
    name,
    handle: () => new Promise<VigilEvent[]>(() => undefined),
  });
  return new Map([
    ['alpha', stuck('alpha')],
    ['sink', stuck('sink')],
  ]);
}

function recorder(name: string, seen: VigilEvent[], batch = false): VigilFunction {
  const f: VigilFunction = {
    name,
    async handle(e) {
      seen.push(e);
      return [];
    },
  };
  if (batch)
    f.handleBatch = async (es) => {
      seen.push(...es);
      return [];
    };
  return f;
}

describe.each(testBackends)('embedded broker on $name', ({ open }) => {
  let db: Db;
  const routes = parseRoutes([YAML]);
  beforeEach(async () => {
    db = await open();
  });
  afterEach(async () => {
    await db.close();
  });

  it('routes by the Trigger filters and publishes replies back onto the broker', async () => {
    const alpha: VigilEvent[] = [];
    const sink: VigilEvent[] = [];
    const fns = new Map<string, VigilFunction>([
      [
        'alpha',
        {
          name: 'alpha',
          async handle(e) {
            alpha.push(e);
            return [{ ...ev(`${e.id}.reply`, 'test.reply'), source: '/functions/alpha' }];
          },
        },
      ],
      ['sink', recorder('sink', sink, true)],
    ]);
    const broker = new EmbeddedBroker({ db, routes, functions: fns });
    await broker.start();
    expect(await broker.accept([ev('1'), ev('2', 'test.b')])).toEqual({ accepted: 2, duplicates: 0 });
    await broker.idle();
    expect(alpha.map((e) => e.id)).toEqual(['1']);
    expect(sink.map((e) => e.id).sort()).toEqual(['1', '1.reply', '2']);
    const left = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM broker_events');
    expect(Number(left?.n)).toBe(0);
    await broker.stop();
  });

  it('drops a duplicate (same source and id) at the door', async () => {
    const sink: VigilEvent[] = [];
    const fns = new Map([
      ['alpha', recorder('alpha', [])],
      ['sink', recorder('sink', sink)],
    ]);
    const broker = new EmbeddedBroker({ db, routes, functions: fns });
    await broker.start();
    // While the first copy is still in the outbox, the second is recognised as a duplicate.
    const [a, b] = await Promise.all([
      broker.accept([ev('x', 'test.b')]),
      broker.accept([ev('x', 'test.b')]),
    ]);
    expect(a.accepted + b.accepted).toBe(1);
    expect(a.duplicates + b.duplicates).toBe(1);
    await broker.idle();
    expect(sink).toHaveLength(1);
    await broker.stop();
  });

  it('retries with exponential backoff, then stores a dead letter', async () => {
    const times: number[] = [];
    const fns = new Map<string, VigilFunction>([
      [
        'alpha',
        {
          name: 'alpha',
          async handle() {
            times.push(Date.now());
            throw new Error('subscriber down');
          },
        },
      ],
      ['sink', recorder('sink', [])],
    ]);
    const failures: boolean[] = [];
    const broker = new EmbeddedBroker({
      db,
      routes,
      functions: fns,
      onFailure: (f) => failures.push(f.deadLettered),
    });
    await broker.start();
    await broker.accept([ev('dl')]);
    await broker.idle();
    expect(times).toHaveLength(3); // first try + retry: 2
    const gap1 = times[1]! - times[0]!;
    const gap2 = times[2]! - times[1]!;
    expect(gap1).toBeGreaterThanOrEqual(45);
    expect(gap2).toBeGreaterThanOrEqual(95); // doubled
    expect(failures).toEqual([false, false, true]);
    const dl = await db.all<{
      id: string;
      subscriber: string;
      attempts: number;
      reason: string;
      payload: Buffer;
    }>('SELECT id, subscriber, attempts, reason, payload FROM dead_letters');
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({ id: 'dl', subscriber: 'a-to-alpha', reason: 'subscriber down' });
    expect(Number(dl[0]!.attempts)).toBe(3);
    expect(decodeEvent(Buffer.from(dl[0]!.payload)).id).toBe('dl');
    expect(broker.deadLettered).toBe(1);
    await broker.stop();
  });

  it('resumes queued deliveries after a restart', async () => {
    // Subscribers that never finish: the process "dies" mid-delivery.
    const blocked = stuckFunctions();
    const first = new EmbeddedBroker({ db, routes, functions: blocked });
    await first.start();
    await first.accept([ev('r1'), ev('r2'), ev('r3', 'test.b')]);
    // No stop(): simulate a crash by abandoning the instance.
    const alpha: VigilEvent[] = [];
    const sink: VigilEvent[] = [];
    const second = new EmbeddedBroker({
      db,
      routes,
      functions: new Map([
        ['alpha', recorder('alpha', alpha)],
        ['sink', recorder('sink', sink, true)],
      ]),
    });
    await second.start();
    await second.idle();
    expect(alpha.map((e) => e.id).sort()).toEqual(['r1', 'r2']);
    expect(sink.map((e) => e.id).sort()).toEqual(['r1', 'r2', 'r3']);
    await second.stop();
  });

  it('refuses new events with BrokerFullError when too much is pending', async () => {
    const broker = new EmbeddedBroker({
      db,
      routes,
      functions: stuckFunctions(),
      maxPendingEvents: 3,
    });
    await broker.start();
    await broker.accept([ev('f1'), ev('f2'), ev('f3')]);
    await expect(broker.accept([ev('f4')])).rejects.toBeInstanceOf(BrokerFullError);
  });

  it('delivers inline subscribers inside the accepting transaction, falling back to retried delivery', async () => {
    const sink: VigilEvent[] = [];
    let failNext = true;
    const inlineSink: VigilFunction = {
      name: 'sink',
      handle: (e, ctx) => inlineSink.handleBatch!([e], ctx),
      async handleBatch(es, ctx) {
        // Writes through the transaction it is given: rolled back if anything fails.
        await ctx.db.run('INSERT INTO patients (id, name, created_at) VALUES (?, ?, ?)', [
          `inl-${es[0]!.id}`,
          'x',
          1,
        ]);
        if (failNext && es.some((e) => e.id === 'bad')) {
          failNext = false;
          throw new Error('inline write failed');
        }
        sink.push(...es);
        return [];
      },
    };
    const broker = new EmbeddedBroker({
      db,
      routes,
      functions: new Map([
        ['alpha', recorder('alpha', [])],
        ['sink', inlineSink],
      ]),
      subscribers: { sink: { inline: true } },
    });
    await broker.start();
    await broker.accept([ev('i1', 'test.b')]);
    // Done at accept: nothing queued, nothing left in the outbox.
    expect(sink.map((e) => e.id)).toEqual(['i1']);
    expect(Number((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM broker_events'))?.n)).toBe(0);
    await broker.accept([ev('bad', 'test.b')]);
    await broker.idle();
    expect(sink.map((e) => e.id)).toEqual(['i1', 'bad']);
    // The failed inline attempt was rolled back: one row per successful delivery only.
    const rows = await db.all<{ id: string }>("SELECT id FROM patients WHERE id LIKE 'inl-%' ORDER BY id");
    expect(rows.map((r) => r.id)).toEqual(['inl-bad', 'inl-i1']);
    await broker.stop();
  });

  it('admit() holds a request until an event finishes, or says how long to wait', async () => {
    const { functions, release } = heldFunctions(['alpha', 'sink']);
    const broker = new EmbeddedBroker({ db, routes, functions, maxPendingEvents: 1 });
    await broker.start();
    expect(await broker.admit(0)).toBeUndefined();
    await broker.accept([ev('w1')]);
    // Full: with no wait allowed, or when nothing finishes in time, a retry-after in seconds.
    expect(await broker.admit(0)).toBe(1);
    const t0 = performance.now();
    expect(await broker.admit(50)).toBe(1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    // A waiting request is let in as soon as the pending event is done.
    const waiting = broker.admit(10_000);
    setTimeout(release, 30);
    expect(await waiting).toBeUndefined();
    await broker.accept([ev('w2')]);
    await broker.idle();
    await broker.stop();
  });

  it('refuses new events when the pending payload bytes exceed the memory budget', async () => {
    const broker = new EmbeddedBroker({
      db,
      routes,
      functions: stuckFunctions(),
      maxPendingBytes: 100,
    });
    await broker.start();
    await broker.accept([ev('b1', 'test.a', { blob: 'x'.repeat(200) })]);
    await expect(broker.accept([ev('b2')])).rejects.toBeInstanceOf(BrokerFullError);
  });

  it('rejects a reply that has its input type (it would loop)', async () => {
    const fns = new Map<string, VigilFunction>([
      ['alpha', { name: 'alpha', handle: async (e) => [{ ...e, id: `${e.id}.again` }] }],
      ['sink', recorder('sink', [])],
    ]);
    const broker = new EmbeddedBroker({ db, routes, functions: fns });
    await broker.start();
    await broker.accept([ev('loop')]);
    await broker.idle();
    const dl = await db.all<{ reason: string }>('SELECT reason FROM dead_letters');
    expect(dl[0]?.reason).toMatch(/input type/);
    await broker.stop();
  });
});
