// The durability promise, tested the hard way: `vigil up` in a child process is killed with
// SIGKILL while devices are sending; after a restart every event that got a 202 is stored, once,
// and every delivery the crash left in the outbox is made.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../eventing/contract.ts';
import type { Db } from '../storage/db.ts';
import { openDb } from '../storage/open.ts';
import { addPatient, enrollDevice } from '../storage/patients-store.ts';
import { createMysqlTestDatabase, dropMysqlTestDatabase } from '../storage/testing.ts';

const ROOT = join(import.meta.dirname, '..');

function startUp(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; ingestUrl: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/vigil.js'), 'up'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`vigil up did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /ingest\s+(http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, ingestUrl: m[1]! });
      }
    });
    child.stderr!.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vigil up exited with ${code}:\n${out}`));
    });
  });
}

describe.each(['sqlite', 'mysql'] as const)('SIGKILL mid-load on %s', (backend) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-crash-'));
  let databaseUrl: string | undefined;
  let db: Db | undefined;
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) await dropMysqlTestDatabase(databaseUrl);
  });

  it('loses no acknowledged event and stores none twice', async () => {
    if (backend === 'mysql') databaseUrl = await createMysqlTestDatabase();
    const env = {
      VIGIL_DATA_DIR: dataDir,
      VIGIL_INGEST_PORT: '0',
      VIGIL_DASHBOARD_PORT: '0',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    };
    const first = await startUp(env);
    children.push(first.child);
    db = await openDb({ dataDir, databaseUrl, poolSize: 2 });
    await addPatient(db, { id: 'crash-patient', name: 'Crash Test' });
    const dev = await enrollDevice(db, { patientId: 'crash-patient' });

    const acked = new Set<string>();
    let sent = 0;
    let stop = false;
    const sender = async (w: number) => {
      for (let i = 0; !stop && i < 2000; i++) {
        const id = `k-${w}-${i}`;
        const time = new Date(1_750_000_000_000 + (w * 2000 + i) * 1000).toISOString();
        // Every tenth event an EEG chunk: its samples are stored once, in eeg_chunks, and a restart
        // must read them back from there to deliver it.
        const ev =
          i % 10 === 9
            ? {
                specversion: '1.0',
                id,
                source: `/devices/${dev.deviceId}`,
                type: EVENT_TYPES.eegChunk,
                data: {
                  patientId: 'crash-patient',
                  deviceId: dev.deviceId,
                  startTime: time,
                  sampleRateHz: 256,
                  channels: ['FP1-F7', 'C3'],
                  unit: 'uV',
                  samples: [0, 1].map((c) => Array.from({ length: 256 }, (_, k) => c * 100 + k * 0.5)),
                },
              }
            : {
                specversion: '1.0',
                id,
                source: `/devices/${dev.deviceId}`,
                type: EVENT_TYPES.heartRateSample,
                data: {
                  patientId: 'crash-patient',
                  deviceId: dev.deviceId,
                  source: 'crash-test',
                  samples: [{ time, bpm: 70 }],
                },
              };
        sent++;
        try {
          const res = await fetch(`${first.ingestUrl}/`, {
            method: 'POST',
            headers: { authorization: `Bearer ${dev.token}`, 'content-type': 'application/cloudevents+json' },
            body: JSON.stringify(ev),
          });
          if (res.status === 202) acked.add(id);
          await res.arrayBuffer();
        } catch {
          return; // the process is gone
        }
      }
    };
    const senders = Array.from({ length: 8 }, (_, w) => sender(w));
    // Let acknowledgements pile up, then pull the plug without any warning.
    while (acked.size < 300) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(senders);
    expect(acked.size).toBeGreaterThanOrEqual(300);

    const second = await startUp(env);
    children.push(second.child);
    const deadline = Date.now() + 60_000;
    let stored = new Map<string, number>();
    while (Date.now() < deadline) {
      const rows = await db.all<{ id: string; n: number }>(
        'SELECT id, COUNT(*) AS n FROM events WHERE source = ? GROUP BY id',
        [`/devices/${dev.deviceId}`],
      );
      stored = new Map(rows.map((r) => [r.id, Number(r.n)]));
      if ([...acked].every((id) => stored.has(id))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const lost = [...acked].filter((id) => !stored.has(id));
    expect(lost, `lost ${lost.length} of ${acked.size} acknowledged events (sent ${sent})`).toEqual([]);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
    const samples = await db.get<{ n: number; d: number }>(
      'SELECT COUNT(*) AS n, COUNT(DISTINCT event_id) AS d FROM heart_rate_samples WHERE device_id = ?',
      [dev.deviceId],
    );
    expect(Number(samples?.n)).toBe(Number(samples?.d));
    const chunks = await db.all<{ event_id: string }>('SELECT event_id FROM eeg_chunks WHERE device_id = ?', [
      dev.deviceId,
    ]);
    const chunkIds = new Set(chunks.map((c) => c.event_id));
    expect([...acked].filter((id) => id.endsWith('9') && !chunkIds.has(id))).toEqual([]);
    // Every delivery the crash left in the outbox is made, EEG chunks' included.
    let pending = -1;
    while (Date.now() < deadline) {
      pending = Number((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM broker_deliveries'))?.n);
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(pending).toBe(0);
    second.child.kill('SIGTERM');
  });
});
