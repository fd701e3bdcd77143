import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recorder as recordingFunction } from '../../functions/recorder/index.ts';
import { heldFunctions } from '../../functions/testing.ts';
import type { Db } from '../../storage/db.ts';
import { countStatements, testBackends } from '../../storage/testing.ts';
import { EVENT_TYPES } from '../contract.ts';
import { decodeEventBytes, samplesOmitted, samplesToBytes } from '../eeg-codec.ts';
import type { VigilEvent } from '../event.ts';
import type { VigilFunction } from '../subscriber.ts';
import { BrokerFullError, type BrokerOptions, EmbeddedBroker } from './broker.ts';
import { parseRoutes } from './routes.ts';
import { testRoutesYaml } from './testing.ts';

const YAML = testRoutesYaml('{ retry: 2, backoffPolicy: exponential, backoffDelay: PT0.05S }');

function ev(id: string, type = 'test.a', data: unknown = { n: 1 }): VigilEvent {
  return { specversion: '1.0', id, source: '/devices/d1', type, data };
}

/** A 2-channel, 256-sample EEG chunk as the door hands it on: float32 rows (values float32 holds exactly). */
function chunk(id: string): VigilEvent {
  return ev(id, EVENT_TYPES.eegChunk, {
    patientId: 'p-1',
    deviceId: 'd1',
    startTime: '2026-01-01T00:00:00.000Z',
    sampleRateHz: 256,
    channels: ['Fp1-F7', 'F7-T7'],
    unit: 'uV',
    samples: [0, 1].map((c) => Float32Array.from({ length: 256 }, (_, i) => (i - 128) * 0.5 + c)),
  });
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

describe.each(testBackends)('embedded broker on $name', ({ name, open }) => {
  let db: Db;
  const routes = parseRoutes([YAML]);
  beforeEach(async () => {
    db = await open();
  });
  afterEach(async () => {
    await db.close();
  });

  /** A broker whose `sink` subscriber runs inline, inside the accepting transaction. */
  const withInlineSink = (inlineSink: VigilFunction, extra: Partial<BrokerOptions> = {}) =>
    new EmbeddedBroker({
      db,
      routes,
      functions: new Map([
        ['alpha', recorder('alpha', [])],
        ['sink', inlineSink],
      ]),
      subscribers: { sink: { inline: true } },
      ...extra,
    });

  /** A new broker on the same storage, as after a crash, with recorders for alpha and sink, run until idle. */
  async function restartedAndIdle() {
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
    return { second, alpha, sink };
  }

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
    expect(decodeEventBytes(Buffer.from(dl[0]!.payload)).id).toBe('dl');
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
    const { second, alpha, sink } = await restartedAndIdle();
    expect(alpha.map((e) => e.id).sort()).toEqual(['r1', 'r2']);
    expect(sink.map((e) => e.id).sort()).toEqual(['r1', 'r2', 'r3']);
    await second.stop();
  });

  it('resumes every delivery after a restart, also where an event straddles a page of the reload', async () => {
    const first = new EmbeddedBroker({ db, routes, functions: stuckFunctions() });
    await first.start();
    // 1 + 2 * 250 = 501 delivery rows: the reload's first page (500) ends between the two of the last event.
    await first.accept([ev('p-b', 'test.b'), ...Array.from({ length: 250 }, (_, i) => ev(`p${i}`))]);
    const { second, alpha, sink } = await restartedAndIdle();
    expect(alpha).toHaveLength(250);
    expect(sink).toHaveLength(251);
    await second.stop();
  });

  describe('an EEG chunk recorded inline', () => {
    // The chunk goes to alpha (a delivery that stays pending) and to the recorder, inline.
    const eegRoutes = parseRoutes([YAML.replace('type: test.a', `type: ${EVENT_TYPES.eegChunk}`)]);
    const brokerWith = (alpha: VigilFunction, storesEegSamples: boolean, failures: string[] = []) =>
      new EmbeddedBroker({
        db,
        routes: eegRoutes,
        functions: new Map([
          ['alpha', alpha],
          ['sink', recordingFunction],
        ]),
        subscribers: { sink: { inline: true, storesEegSamples } },
        onFailure: (f) => failures.push(f.error),
      });
    const outboxPayload = async () =>
      Buffer.from((await db.get<{ payload: Buffer }>('SELECT payload FROM broker_events'))!.payload);

    it('keeps its samples once, in eeg_chunks, and a restart reads them back from there', async () => {
      const first = brokerWith(stuckFunctions().get('alpha')!, true);
      await first.start();
      await first.accept([chunk('e1')]);
      const payload = await outboxPayload();
      expect(samplesOmitted(payload)).toBe(true);
      expect(payload.byteLength).toBeLessThan(1000); // the samples alone are 2048 bytes
      const stored = await db.get<{ samples: Buffer }>('SELECT samples FROM eeg_chunks WHERE event_id = ?', [
        'e1',
      ]);
      // The bytes the outbox left out are exactly those eeg_chunks holds.
      const samples = (chunk('e1').data as { samples: Float32Array[] }).samples;
      expect(Buffer.from(stored!.samples).equals(samplesToBytes(samples))).toBe(true);

      const seen: VigilEvent[] = [];
      const second = brokerWith(recorder('alpha', seen), true);
      await second.start();
      await second.idle();
      expect(seen).toEqual([chunk('e1')]);
      await second.stop();
    });

    it('keeps the samples in the outbox when the recorder is not the one storing them', async () => {
      const broker = brokerWith(stuckFunctions().get('alpha')!, false);
      await broker.start();
      await broker.accept([chunk('e2')]);
      expect(decodeEventBytes(await outboxPayload())).toEqual(chunk('e2'));
    });

    it('leaves a delivery whose samples are gone for an operator, and says so', async () => {
      const first = brokerWith(stuckFunctions().get('alpha')!, true);
      await first.start();
      await first.accept([chunk('e3')]);
      await db.run('DELETE FROM eeg_chunks');
      const seen: VigilEvent[] = [];
      const failures: string[] = [];
      const second = brokerWith(recorder('alpha', seen), true, failures);
      await second.start();
      await second.idle();
      expect(seen).toEqual([]);
      expect(failures).toEqual([expect.stringMatching(/samples are missing/)]);
      const left = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM broker_deliveries');
      expect(Number(left?.n)).toBe(1);
      await second.stop();
    });
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
    const broker = withInlineSink(inlineSink);
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
  it('commits concurrent requests together, in a number of statements that does not grow with them', async () => {
    const counted = countStatements(db);
    const broker = new EmbeddedBroker({ db: counted.db, routes, functions: stuckFunctions() });
    await broker.start();
    const before = counted.statements();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, r) => broker.accept([ev(`c${r}-1`), ev(`c${r}-2`, 'test.b')])),
    );
    expect(results.every((r) => r.accepted === 2)).toBe(true);
    // One INSERT for the 80 events, one for their 120 deliveries.
    expect(counted.statements() - before).toBe(2);
    const n = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM broker_deliveries');
    expect(Number(n?.n)).toBe(120);
  });

  it('runs the recorder inline once per group commit, in a fixed number of statements', async () => {
    const { recorder: record } = await import('../../functions/recorder/index.ts');
    const counted = countStatements(db);
    const broker = new EmbeddedBroker({
      db: counted.db,
      routes,
      functions: new Map([
        ['alpha', recorder('alpha', [])],
        ['sink', record],
      ]),
      subscribers: { sink: { inline: true } },
    });
    await broker.start();
    const before = counted.statements();
    await Promise.all(
      Array.from({ length: 40 }, (_, r) =>
        broker.accept([{ ...ev(`rec${r}`, 'test.b'), source: `/devices/d${r}` }]),
      ),
    );
    // The outbox INSERT, the recorder's INSERT into events and UPDATE of devices, and the DELETE of
    // the events no other Trigger wants.
    expect(counted.statements() - before).toBe(4);
    const n = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE id LIKE 'rec%'");
    expect(Number(n?.n)).toBe(40);
    await broker.idle();
    await broker.stop();
  });

  it('writes a group again, once, when its transaction deadlocks inside an inline subscriber', async () => {
    let calls = 0;
    const inlineSink: VigilFunction = {
      name: 'sink',
      handle: (e, ctx) => inlineSink.handleBatch!([e], ctx),
      async handleBatch(es, ctx) {
        calls++;
        await ctx.db.run('INSERT INTO patients (id, name, created_at) VALUES (?, ?, ?)', [
          `dl-${es[0]!.id}`,
          'x',
          1,
        ]);
        // What MariaDB reports when InnoDB picks this transaction as a deadlock's victim.
        if (calls === 1) throw Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' });
        return [];
      },
    };
    const broker = withInlineSink(inlineSink, { onFailure: (f) => failures.push(f.type) });
    const failures: string[] = [];
    await broker.start();
    expect(await broker.accept([ev('d1', 'test.b')])).toEqual({ accepted: 1, duplicates: 0 });
    await broker.idle();
    // MariaDB: Db.tx ran the whole group again, still inline, and nothing failed. SQLite has no
    // deadlocks to retry: the failed inline attempt sends the event the ordinary, retried way instead.
    expect(failures).toEqual(name === 'mysql' ? [] : ['(inline batch)']);
    expect(calls).toBe(2);
    expect(broker.delivered).toBe(1);
    expect(broker.pendingEvents).toBe(0);
    const rows = await db.all<{ id: string }>("SELECT id FROM patients WHERE id LIKE 'dl-%'");
    expect(rows.map((r) => r.id)).toEqual(['dl-d1']);
    await broker.stop();
  });
});
