import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './db.ts';
import { readState, updateState, writeState } from './function-state.ts';
import { migrate } from './migrate.ts';
import {
  addPatient,
  ConflictError,
  deviceForToken,
  deviceState,
  enrollDevice,
  getDevice,
  listDevices,
  NotFoundError,
  reissueDeviceToken,
  retireDevice,
  revokeDevice,
  touchDevices,
} from './patients-store.ts';
import { insertRows } from './sql.ts';
import { countStatements, testBackends } from './testing.ts';

describe.each(testBackends)('storage contract on $name', ({ open }) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db.close();
  });

  it('migrations are applied once and are idempotent', async () => {
    expect(await migrate(db)).toEqual([]);
    const rows = await db.all<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id');
    expect(rows.map((r) => Number(r.id))).toContain(1);
  });

  it('enrols a device whose token authenticates only until revoked', async () => {
    await addPatient(db, { id: 'p-1', name: 'Ada' });
    await expect(addPatient(db, { id: 'p-1', name: 'Again' })).rejects.toBeInstanceOf(ConflictError);
    const dev = await enrollDevice(db, { patientId: 'p-1', kind: 'eeg' });
    expect(dev.token).toMatch(/^vgl_dev_/);
    const raw = await db.get<{ token_hash: string }>('SELECT token_hash FROM devices WHERE id = ?', [
      dev.deviceId,
    ]);
    expect(raw?.token_hash).not.toContain(dev.token);
    expect((await deviceForToken(db, dev.token))?.patientId).toBe('p-1');
    expect(await deviceForToken(db, `${dev.token}x`)).toBeUndefined();
    await revokeDevice(db, dev.deviceId);
    expect(await deviceForToken(db, dev.token)).toBeUndefined();
    await expect(enrollDevice(db, { patientId: 'nobody' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('retires a device: its token stops working, its record stays, and it cannot be retired twice', async () => {
    const dev = await enrollDevice(db, { patientId: 'p-1', kind: 'eeg' });
    expect(deviceState((await getDevice(db, dev.deviceId))!)).toBe('active');
    await retireDevice(db, dev.deviceId, 5000);
    const d = await getDevice(db, dev.deviceId);
    expect(d).toMatchObject({ retiredAt: 5000, revokedAt: null });
    expect(deviceState(d!)).toBe('retired');
    expect(await deviceForToken(db, dev.token)).toBeUndefined();
    await expect(retireDevice(db, dev.deviceId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeDevice(db, dev.deviceId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(reissueDeviceToken(db, dev.deviceId)).rejects.toBeInstanceOf(NotFoundError);
    expect((await listDevices(db, 'p-1')).map((x) => x.id)).toContain(dev.deviceId);
  });

  it('reissues a token for the same device id and the old token stops working', async () => {
    const dev = await enrollDevice(db, { patientId: 'p-1', kind: 'simulator' });
    const again = await reissueDeviceToken(db, dev.deviceId);
    expect(again.deviceId).toBe(dev.deviceId);
    expect(again.token).not.toBe(dev.token);
    expect(await deviceForToken(db, dev.token)).toBeUndefined();
    expect((await deviceForToken(db, again.token))?.id).toBe(dev.deviceId);
  });

  it('touchDevices only moves last_seen_at forward', async () => {
    const dev = await enrollDevice(db, { patientId: 'p-1' });
    await touchDevices(db, new Map([[dev.deviceId, 2000]]));
    await touchDevices(db, new Map([[dev.deviceId, 1000]]));
    const [d] = (await listDevices(db, 'p-1')).filter((x) => x.id === dev.deviceId);
    expect(d?.lastSeenAt).toBe(2000);
  });

  it('touchDevices moves many devices in one statement, each to its own time', async () => {
    const devs = await Promise.all([1, 2, 3].map(() => enrollDevice(db, { patientId: 'p-1' })));
    await touchDevices(db, new Map([[devs[0]!.deviceId, 5000]]));
    const counted = countStatements(db);
    await touchDevices(
      counted.db,
      new Map([
        [devs[0]!.deviceId, 4000],
        [devs[1]!.deviceId, 1000],
        [devs[2]!.deviceId, 3000],
        ['no-such-device', 9000],
      ]),
    );
    expect(counted.statements()).toBe(1);
    const seen = new Map((await listDevices(db, 'p-1')).map((d) => [d.id, d.lastSeenAt]));
    expect(devs.map((d) => seen.get(d.deviceId))).toEqual([5000, 1000, 3000]);
  });

  it('transactions roll back on error and commit on success', async () => {
    await expect(
      db.tx(async (tx) => {
        await tx.run('INSERT INTO patients (id, name, created_at) VALUES (?, ?, ?)', ['p-rollback', 'x', 1]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.get('SELECT id FROM patients WHERE id = ?', ['p-rollback'])).toBeUndefined();
    await db.tx(async (tx) => {
      await tx.run('INSERT INTO patients (id, name, created_at) VALUES (?, ?, ?)', ['p-commit', 'x', 1]);
    });
    expect(await db.get('SELECT id FROM patients WHERE id = ?', ['p-commit'])).toBeDefined();
  });

  it('multi-row inserts ignore duplicates on the unique key and split large batches', async () => {
    const cols = ['patient_id', 'device_id', 'time', 'bpm', 'event_source', 'event_id', 'idx'];
    const rows = Array.from({ length: 2500 }, (_, i) => [
      'p-1',
      'd',
      i,
      60 + (i % 50),
      '/devices/d',
      'e1',
      i,
    ]);
    expect(await insertRows(db, 'heart_rate_samples', cols, rows, { ignoreDuplicates: true })).toBe(2500);
    expect(
      await insertRows(db, 'heart_rate_samples', cols, rows.slice(0, 10), { ignoreDuplicates: true }),
    ).toBe(0);
    const n = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM heart_rate_samples WHERE event_id = ?', [
      'e1',
    ]);
    expect(Number(n?.n)).toBe(2500);
  });

  it('blobs round-trip byte for byte', async () => {
    const samples = new Float32Array([1.5, -2.25, 1e-7, 3.4e38]);
    const blob = Buffer.from(samples.buffer);
    await db.run(
      `INSERT INTO eeg_chunks (source, event_id, patient_id, device_id, start_time, sample_rate_hz, n_samples, channels, samples)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ['/devices/d', 'c1', 'p-1', 'd', 1, 256, 4, 'C3', blob],
    );
    const r = await db.get<{ samples: Buffer }>('SELECT samples FROM eeg_chunks WHERE event_id = ?', ['c1']);
    expect(Buffer.compare(Buffer.from(r!.samples), blob)).toBe(0);
  });

  it('function state uses optimistic versions', async () => {
    expect(await readState(db, 'fn', 'k')).toBeUndefined();
    expect(await writeState(db, 'fn', 'k', { n: 1 }, 0)).toBe(true);
    expect(await writeState(db, 'fn', 'k', { n: 9 }, 0)).toBe(false);
    const cur = await readState<{ n: number }>(db, 'fn', 'k');
    expect(cur).toEqual({ value: { n: 1 }, version: 1 });
    expect(await writeState(db, 'fn', 'k', { n: 2 }, 1)).toBe(true);
    expect(await writeState(db, 'fn', 'k', { n: 3 }, 1)).toBe(false);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        updateState<{ n: number }, number>(db, 'fn', 'k', (c) => ({
          value: { n: (c?.n ?? 0) + 1 },
          result: 0,
        })),
      ),
    );
    expect(results).toHaveLength(5);
    expect((await readState<{ n: number }>(db, 'fn', 'k'))?.value.n).toBe(7);
  });
});
