// Replays real 1 Hz ICU heart rate (BIDMC, ../shared/data/heart-rate/bidmc, data README section 4) through the
// monitor and checks it raises and clears EXACTLY the alerts the documented rule implies. The expectation
// comes from a separate, deliberately plain implementation of the rule below, run on the raw CSV.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDir } from '../../config/env.ts';
import { EVENT_TYPES } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { listAlerts } from '../../storage/alert-queries.ts';
import type { Db } from '../../storage/db.ts';
import { DEFAULT_LIMITS, setLimits } from '../../storage/limits-store.ts';
import { testBackends } from '../../storage/testing.ts';
import { applyAlertEvent } from '../recorder/alert-events.ts';
import { heartRateMonitor } from './index.ts';

const shared = sharedDir();
const BIDMC = join(shared, 'data/heart-rate/bidmc');
const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);

interface Row {
  second: number;
  hr: number; // NaN when missing
}

function readNumerics(n: number): Row[] {
  const file = join(BIDMC, `bidmc_${String(n).padStart(2, '0')}_Numerics.csv`);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  expect(lines[0]).toBe('Time [s], HR, PULSE, RESP, SpO2');
  return lines.slice(1).map((line) => {
    const [time, hr] = line.split(/,\s*/);
    const row = { second: Number(time), hr: hr === 'NaN' ? Number.NaN : Number(hr) };
    if (!Number.isInteger(row.second) || (hr !== 'NaN' && !Number.isFinite(row.hr)))
      throw new Error(`${file}: bad row "${line}"`);
    return row;
  });
}

interface Expected {
  kind: string;
  start: number;
  raisedAt: number;
  clearedAt: number | null;
}

/**
 * The documented rule, written out plainly: beyond the limit on every sample for >= 10 s and >= 3
 * samples -> raise; back inside by 5 bpm for >= 10 s and >= 3 samples -> clear; a gap > 300 s
 * restarts a run; missing values are not samples.
 */
function reference(rows: Row[], low: number, high: number): Expected[] {
  const out: Expected[] = [];
  for (const kind of ['tachycardia', 'bradycardia'] as const) {
    const beyond = (b: number) => (kind === 'tachycardia' ? b > high : b < low);
    const recovered = (b: number) => (kind === 'tachycardia' ? b <= high - 5 : b >= low + 5);
    let open: Expected | null = null;
    let runStart: number | null = null;
    let runCount = 0;
    let prev: number | null = null;
    for (const r of rows) {
      if (Number.isNaN(r.hr)) continue;
      const t = T0 + r.second * 1000;
      const gap = prev !== null && t - prev > 300_000;
      prev = t;
      const counts = open ? recovered(r.hr) : beyond(r.hr);
      if (!counts) {
        runStart = null;
        continue;
      }
      if (runStart === null || gap) {
        runStart = t;
        runCount = 0;
      }
      runCount++;
      if (t - runStart < 10_000 || runCount < 3) continue;
      if (open) {
        open.clearedAt = t;
        open = null;
      } else {
        open = { kind, start: runStart, raisedAt: t, clearedAt: null };
        out.push(open);
      }
      runStart = null;
    }
  }
  return out.sort((a, b) => a.raisedAt - b.raisedAt);
}

describe('BIDMC replay through heart-rate-monitor', () => {
  let db: Db;
  beforeAll(async () => {
    db = await testBackends[0]!.open();
  });
  afterAll(async () => {
    await db.close();
  });

  /** Streams a record in one-minute uploads, records every reply like the recorder, returns what is stored. */
  async function replay(patientId: string, rows: Row[]): Promise<Expected[]> {
    const samples = rows
      .filter((r) => !Number.isNaN(r.hr))
      .map((r) => ({ time: new Date(T0 + r.second * 1000).toISOString(), bpm: r.hr }));
    for (let i = 0; i < samples.length; i += 60) {
      const batch = samples.slice(i, i + 60);
      // Uploaded as the minute ends, as a live monitor would: samples ahead of the function's clock by
      // more than the allowed skew are refused (#14), so the replay's clock follows the record.
      const ctx = { db, now: () => Date.parse(batch[batch.length - 1]!.time) };
      const event: VigilEvent = {
        specversion: '1.0',
        id: `${patientId}-${i}`,
        source: '/devices/bidmc-monitor',
        type: EVENT_TYPES.heartRateSample,
        subject: patientId,
        data: { patientId, deviceId: 'bidmc-monitor', source: 'bidmc', samples: batch },
      };
      // Every upload is delivered twice (at-least-once): the second must change nothing.
      for (let attempt = 0; attempt < 2; attempt++)
        for (const reply of await heartRateMonitor.handle(event, ctx)) await applyAlertEvent(db, reply);
    }
    const stored = await listAlerts(db, { patientId, limit: 500 });
    return stored.items
      .map((a) => ({
        kind: a.kind,
        start: Number(a.evidence.episodeStart ? Date.parse(String(a.evidence.episodeStart)) : Number.NaN),
        raisedAt: a.raisedAt,
        // A physiological alarm latches (#14): the rule ends the condition, the alert stays open until a
        // person acknowledges it, so the rule's clear is the condition's end and nothing is cleared.
        clearedAt: a.clearedAt === null ? a.conditionEndedAt : Number.NaN,
      }))
      .sort((a, b) => a.raisedAt - b.raisedAt);
  }

  it('raises nothing the rule does not imply on any of the 53 records at the default limits (40/130)', async () => {
    for (let n = 1; n <= 53; n++) {
      const rows = readNumerics(n);
      expect(rows).toHaveLength(481);
      const expected = reference(rows, DEFAULT_LIMITS.low, DEFAULT_LIMITS.high);
      expect(await replay(`bidmc${n}-default`, rows)).toEqual(expected);
    }
  });

  it('raises and clears exactly the tachycardia episodes of record 25 with a high limit of 125 bpm', async () => {
    const rows = readNumerics(25);
    const expected = reference(rows, 40, 125);
    // From the CSV: above 125 bpm from t=3 s on; the rate never stays <= 120 bpm for 10 s afterwards.
    expect(expected.map((e) => [(e.start - T0) / 1000, (e.raisedAt - T0) / 1000, e.clearedAt])).toEqual([
      [3, 13, null],
    ]);
    expect(expected.every((e) => e.kind === 'tachycardia')).toBe(true);
    await setLimits(db, 'bidmc25', { low: 40, high: 125 }, 'data-test');
    expect(await replay('bidmc25', rows)).toEqual(expected);
  });

  it('raises and clears exactly the bradycardia episodes of record 45 with a low limit of 60 bpm', async () => {
    const rows = readNumerics(45);
    const expected = reference(rows, 60, 130);
    const sec = (ms: number | null) => (ms === null ? null : (ms - T0) / 1000);
    expect(expected.map((e) => [sec(e.start), sec(e.raisedAt), sec(e.clearedAt)])).toEqual([
      [44, 54, 107],
      [136, 146, 191],
      [232, 242, 272],
      [383, 393, 424],
    ]);
    expect(expected.every((e) => e.kind === 'bradycardia')).toBe(true);
    await setLimits(db, 'bidmc45', { low: 60, high: 130 }, 'data-test');
    expect(await replay('bidmc45', rows)).toEqual(expected);
  });
});
