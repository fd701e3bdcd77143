import { describe, expect, it } from 'vitest';
import { EdfFormatError, parseEdf } from './edf.ts';

interface SigSpec {
  label: string;
  spr: number;
  physMin: number;
  physMax: number;
  digMin: number;
  digMax: number;
  /** Per record: digital samples, or raw bytes for an annotation signal. */
  records: Array<number[] | Buffer>;
}

const pad = (s: string | number, n: number) => String(s).padEnd(n, ' ').slice(0, n);

/** Builds an EDF(+) file byte by byte, as the spec lays it out. */
function buildEdf(
  signals: SigSpec[],
  opts: { reserved?: string; records: number; duration?: number },
): Buffer {
  const ns = signals.length;
  let h = '0       ' + pad('X X X X', 80) + pad('Startdate X X X X', 80) + '01.01.00' + '00.00.00';
  h +=
    pad(256 * (ns + 1), 8) +
    pad(opts.reserved ?? '', 44) +
    pad(opts.records, 8) +
    pad(opts.duration ?? 1, 8) +
    pad(ns, 4);
  const col = (f: (s: SigSpec) => string | number, n: number) => signals.map((s) => pad(f(s), n)).join('');
  h +=
    col((s) => s.label, 16) + col(() => '', 80) + col((s) => (s.label === 'EDF Annotations' ? '' : 'uV'), 8);
  h +=
    col((s) => s.physMin, 8) + col((s) => s.physMax, 8) + col((s) => s.digMin, 8) + col((s) => s.digMax, 8);
  h += col(() => '', 80) + col((s) => s.spr, 8) + col(() => '', 32);
  const parts = [Buffer.from(h, 'latin1')];
  for (let r = 0; r < opts.records; r++)
    for (const s of signals) {
      const rec = s.records[r]!;
      if (Buffer.isBuffer(rec)) {
        const b = Buffer.alloc(s.spr * 2);
        rec.copy(b);
        parts.push(b);
      } else {
        const b = Buffer.alloc(s.spr * 2);
        for (const [i, v] of rec.entries()) b.writeInt16LE(v, i * 2);
        parts.push(b);
      }
    }
  return Buffer.concat(parts);
}

describe('parseEdf', () => {
  it('parses the header, scales digital to physical and concatenates records per signal', () => {
    const buf = buildEdf(
      [
        {
          label: 'FP1-F7',
          spr: 4,
          physMin: -800,
          physMax: 800,
          digMin: -2048,
          digMax: 2047,
          records: [
            [-2048, 0, 2047, 1],
            [10, 20, 30, 40],
          ],
        },
        {
          label: 'ECG',
          spr: 2,
          physMin: 0,
          physMax: 100,
          digMin: 0,
          digMax: 1000,
          records: [
            [0, 1000],
            [500, 250],
          ],
        },
      ],
      { records: 2 },
    );
    const edf = parseEdf(buf, 'mem.edf');
    expect(edf.format).toBe('EDF');
    expect(edf.recordCount).toBe(2);
    expect(edf.signals.map((s) => [s.label, s.samplesPerRecord, s.sampleRateHz])).toEqual([
      ['FP1-F7', 4, 4],
      ['ECG', 2, 2],
    ]);
    const fp1 = edf.signals[0]!.samples;
    expect(fp1[0]).toBeCloseTo(-800, 9);
    expect(fp1[2]).toBeCloseTo(800, 9);
    expect(fp1[1]).toBeCloseTo(-800 + 2048 * (1600 / 4095), 9);
    expect(fp1.length).toBe(8);
    expect(Array.from(edf.signals[1]!.samples)).toEqual([0, 100, 50, 25]);
    expect(edf.recordOnsets).toEqual([0, 1]);
  });

  it('keeps the EDF+ annotation signal out of the data and parses its TALs', () => {
    const tal = (s: string) => Buffer.from(s, 'utf8');
    const buf = buildEdf(
      [
        {
          label: 'EEG Fz',
          spr: 2,
          physMin: -100,
          physMax: 100,
          digMin: -100,
          digMax: 100,
          records: [
            [1, 2],
            [3, 4],
          ],
        },
        {
          label: 'EDF Annotations',
          spr: 30,
          physMin: -1,
          physMax: 1,
          digMin: -32768,
          digMax: 32767,
          records: [
            tal('+0\x14\x14\x00+0.5\x150.25\x14Seizure\x14\x00'),
            tal('+1\x14\x14\x00+1.5\x14Eyes closed\x14Note\x14\x00'),
          ],
        },
      ],
      { reserved: 'EDF+C', records: 2 },
    );
    const edf = parseEdf(buf, 'plus.edf');
    expect(edf.format).toBe('EDF+C');
    expect(edf.signals.map((s) => s.label)).toEqual(['EEG Fz']);
    expect(Array.from(edf.signals[0]!.samples)).toEqual([1, 2, 3, 4]);
    expect(edf.recordOnsets).toEqual([0, 1]);
    expect(edf.annotations).toEqual([
      { onset: 0.5, duration: 0.25, text: 'Seizure' },
      { onset: 1.5, duration: undefined, text: 'Eyes closed' },
      { onset: 1.5, duration: undefined, text: 'Note' },
    ]);
  });

  it('names the header field that is wrong', () => {
    const good = buildEdf(
      [{ label: 'A', spr: 2, physMin: -1, physMax: 1, digMin: -10, digMax: 10, records: [[1, 2]] }],
      { records: 1 },
    );
    const bad = (mutate: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      mutate(b);
      return () => parseEdf(b, 'bad.edf');
    };
    expect(bad((b) => b.write('x       ', 0, 'latin1'))).toThrow(/"version"/);
    expect(bad((b) => b.write('abc     ', 236, 'latin1'))).toThrow(/"number of data records"/);
    expect(bad((b) => b.write('5       ', 236, 'latin1'))).toThrow(
      /"number of data records".*promises 5 records/,
    );
    expect(bad((b) => b.write('9999    ', 184, 'latin1'))).toThrow(/"number of bytes in header record"/);
    // signal 1 digital maximum sits at 256 + 16 + 80 + 8 + 8 + 8 + 8
    expect(bad((b) => b.write('-20     ', 256 + 128, 'latin1'))).toThrow(/"digital maximum \(signal 1\)"/);
    expect(() => parseEdf(good.subarray(0, 100), 'short.edf')).toThrow(EdfFormatError);
  });
});
