// The real Health Auto Export file in ../shared (an extract of one person's export; no licence, so it
// is read from ../shared only and never copied into the project).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDir } from '../../config/env.ts';
import { startTestRuntime, type TestRuntime } from '../../runtime/testing.ts';

const SHARED = sharedDir();
const FILE = path.join(
  SHARED,
  'data/heart-rate/health-auto-export/HealthAutoExport-2023-06-17-2025-04-26.vitals.json',
);

describe('the real Health Auto Export file', () => {
  let rt: TestRuntime;
  const body = readFileSync(FILE, 'utf8');
  const raw = JSON.parse(body) as {
    data: { metrics: { name: string; data: { Avg?: number; date: string }[] }[] };
  };
  const hr = raw.data.metrics.find((m) => m.name === 'heart_rate')!;

  beforeAll(async () => {
    rt = await startTestRuntime('sqlite');
  });
  afterAll(async () => {
    await rt.stop();
  });

  it('stores every daily heart-rate entry and lists the other metrics as ignored', async () => {
    expect(hr.data).toHaveLength(677);
    const res = await fetch(`${rt.ingestUrl}/v1/health-auto-export`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rt.device.token}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(202);
    const out = await res.json();
    expect(out.samples).toBe(677);
    expect(out.ignored.map((i: { name: string }) => i.name).sort()).toEqual([
      'blood_oxygen_saturation',
      'heart_rate_variability',
      'respiratory_rate',
      'resting_heart_rate',
    ]);
    await rt.idle();
    const rows = await rt.db.all<{ time: number; bpm: number; source_name: string }>(
      'SELECT time, bpm, source_name FROM heart_rate_samples WHERE device_id = ? ORDER BY time',
      [rt.device.deviceId],
    );
    expect(rows).toHaveLength(677);
    // "2023-06-17 00:00:00 -0400" is 04:00 UTC.
    expect(rows[0]!.time).toBe(Date.parse('2023-06-17T04:00:00Z'));
    const bpm = rows.map((r) => r.bpm);
    expect(Math.min(...bpm)).toBeCloseTo(61.4, 0);
    expect(Math.max(...bpm)).toBeCloseTo(107.2, 0);
    // Multi-source entries keep their "|"-joined source; the typographic apostrophe survives.
    expect(rows.some((r) => r.source_name.includes('|'))).toBe(true);
    expect(rows.some((r) => r.source_name.includes('’'))).toBe(true);
  });

  it('stores nothing twice when the app sends the same export again', async () => {
    const res = await fetch(`${rt.ingestUrl}/v1/health-auto-export`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rt.device.token}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(202);
    await rt.idle();
    const n = await rt.db.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM heart_rate_samples WHERE device_id = ?',
      [rt.device.deviceId],
    );
    expect(Number(n?.n)).toBe(677);
  });
});
