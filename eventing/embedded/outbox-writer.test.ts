import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../storage/db.ts';
import { countStatements, testBackends } from '../../storage/testing.ts';
import type { VigilEvent } from '../event.ts';
import { type OutboxOp, OutboxWriter } from './outbox-writer.ts';
import { parseRoutes } from './routes.ts';
import { testRoutesYaml } from './testing.ts';

const YAML = testRoutesYaml();

const ev = (id: string): VigilEvent => ({ specversion: '1.0', id, source: '/devices/d1', type: 'test.a' });

describe.each(testBackends)('outbox writer on $name', ({ open }) => {
  let db: Db;
  const routes = parseRoutes([YAML]);
  const writer = new OutboxWriter(routes, new Map(), new Set(), Date.now);
  beforeEach(async () => {
    db = await open();
  });
  afterEach(async () => {
    await db.close();
  });

  /** Writes one group of `requests` accepts of 3 events each; returns the statements it took. */
  async function acceptGroup(prefix: string, requests: number): Promise<number> {
    const c = countStatements(db);
    const ops: OutboxOp[] = Array.from({ length: requests }, (_, r) => ({
      kind: 'accept',
      events: [0, 1, 2].map((i) => ev(`${prefix}-${r}-${i}`)),
    }));
    const out = await c.db.tx((tx) => writer.write(tx, ops, true));
    expect(out.seqs.flat().filter((s) => s !== null)).toHaveLength(requests * 3);
    expect(out.stored.every((s) => s.triggers.length === 2)).toBe(true);
    return c.statements();
  }

  it('writes a whole group with one statement per table, however many requests it holds', async () => {
    expect(await acceptGroup('small', 2)).toBe(2);
    expect(await acceptGroup('large', 60)).toBe(2);
    const rows = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM broker_deliveries');
    expect(Number(rows?.n)).toBe(62 * 3 * 2);
  });

  it('finishes and dead-letters many deliveries in a fixed number of statements', async () => {
    const first = await db.tx((tx) =>
      writer.write(
        tx,
        [{ kind: 'accept', events: Array.from({ length: 40 }, (_, i) => ev(`f-${i}`)) }],
        true,
      ),
    );
    const seqs = first.seqs[0] as number[];
    const c = countStatements(db);
    const ops: OutboxOp[] = [
      ...seqs.map(
        (seq): OutboxOp => ({ kind: 'complete', trigger: 'all-to-sink', seqs: [seq], replies: [] }),
      ),
      ...seqs.slice(0, 10).map(
        (seq, i): OutboxOp => ({
          kind: 'deadLetter',
          key: { trigger: 'a-to-alpha', seq },
          attempts: 3,
          error: 'down',
          event: ev(`f-${i}`),
        }),
      ),
    ];
    const out = await c.db.tx((tx) => writer.write(tx, ops, true));
    // Dead letters, the deliveries, the events left without any.
    expect(c.statements()).toBe(3);
    expect(out.deadLettered).toBe(10);
    const left = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM broker_events');
    expect(Number(left?.n)).toBe(30);
    const dead = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM dead_letters');
    expect(Number(dead?.n)).toBe(10);
  });

  it('gives the first copy of a repeated source and id the seq, and the others none', async () => {
    const ops: OutboxOp[] = [
      { kind: 'accept', events: [ev('dup'), ev('other')] },
      { kind: 'accept', events: [ev('dup')] },
    ];
    const out = await db.tx((tx) => writer.write(tx, ops, true));
    expect(out.seqs[0]!.every((s) => typeof s === 'number')).toBe(true);
    expect(out.seqs[1]).toEqual([null]);
    const again = await db.tx((tx) => writer.write(tx, [{ kind: 'accept', events: [ev('dup')] }], true));
    expect(again.seqs).toEqual([[null]]);
  });
});
