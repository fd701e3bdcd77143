import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BidmcFormatError,
  heartRateSeries,
  limitRuns,
  parseBidmcNumerics,
  readBidmcNumerics,
} from './bidmc.ts';

const HEADER = 'Time [s], HR, PULSE, RESP, SpO2';

describe('BIDMC numerics reader', () => {
  it('reads rows and leaves NaN cells out instead of sending NaN', () => {
    const rows = parseBidmcNumerics(
      `${HEADER}\n0,94,93,25,97\n1,NaN,NaN,25,NaN\n2,131.5,93,25,97\n`,
      'x.csv',
    );
    expect(rows).toEqual([
      { timeS: 0, hr: 94, pulse: 93, resp: 25, spo2: 97 },
      { timeS: 1, resp: 25 },
      { timeS: 2, hr: 131.5, pulse: 93, resp: 25, spo2: 97 },
    ]);
    const series = heartRateSeries({ file: 'x.csv', name: 'x', rows });
    expect(series.map((s) => s.bpm)).toEqual([94, 131.5]);
    expect(series.some((s) => Number.isNaN(s.bpm))).toBe(false);
  });

  it('refuses a different header, naming file and line 1', () => {
    expect(() => parseBidmcNumerics('Time,HR,PULSE,RESP,SpO2\n0,1,2,3,4\n', 'f.csv')).toThrow(
      /^f\.csv:1: header must be/,
    );
  });

  it('names the line of a bad cell, a short row, a CR ending and a time going backwards', () => {
    const bad = (body: string) => () => parseBidmcNumerics(`${HEADER}\n0,90,90,20,98\n${body}\n`, 'f.csv');
    expect(bad('1,9O,90,20,98')).toThrow(BidmcFormatError);
    expect(bad('1,9O,90,20,98')).toThrow(/^f\.csv:3: column HR: expected a number or NaN, got "9O"/);
    expect(bad('1,90,90')).toThrow(/^f\.csv:3: expected 5 comma-separated values, got 3/);
    expect(bad('1,90,90,20,98\r')).toThrow(/^f\.csv:3: CR line ending/);
    expect(bad('0,90,90,20,98')).toThrow(/^f\.csv:3: column Time \[s\]: 0 does not increase/);
    expect(() => parseBidmcNumerics(`${HEADER}\n`, 'e.csv')).toThrow(/^e\.csv: no data rows/);
  });

  it('finds runs beyond the limits (the demo record bidmc_25 exceeds 130 bpm for 6 s at t=211 s)', async () => {
    const rec = await readBidmcNumerics(
      path.resolve(import.meta.dirname, '../data/demo/heart-rate/bidmc_25_Numerics.csv'),
    );
    expect(rec.rows).toHaveLength(481);
    expect(limitRuns(rec, 40, 130)).toEqual([{ kind: 'above', startS: 211, seconds: 6 }]);
  });

  it('names the file it cannot read', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bidmc-'));
    const f = path.join(dir, 'bidmc_99_Numerics.csv');
    await expect(readBidmcNumerics(f)).rejects.toThrow(/bidmc_99_Numerics\.csv: cannot read/);
    writeFileSync(f, `${HEADER}\n0,70,70,12,99\n`);
    expect((await readBidmcNumerics(f)).name).toBe('bidmc_99');
  });
});
