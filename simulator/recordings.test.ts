import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { haeBatches, parseHaeBody } from './hae.ts';
import { BONN_CHANNEL, channelNames, expandPaths, loadEegFile, loadHrFile } from './recordings.ts';
import { EegChunker, eegChunkRequest } from './requests.ts';

const FIXTURE = path.resolve(import.meta.dirname, 'fixtures/hae-small.json');
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'vigil-sim-'));

/** A minimal valid EDF: `labels.length` signals, `records` 1-s records at `rate` Hz, digital = physical. */
function edf(
  labels: string[],
  rate: number,
  records: number,
  value: (sig: number, i: number) => number,
): Buffer {
  const ns = labels.length;
  const f = (s: string | number, n: number) => String(s).padEnd(n, ' ').slice(0, n);
  let h = f('0', 8) + f('X X X X', 80) + f('Startdate X X X X', 80) + f('01.01.01', 8) + f('00.00.00', 8);
  h += f(256 * (ns + 1), 8) + f('', 44) + f(records, 8) + f(1, 8) + f(ns, 4);
  const col = (v: (i: number) => string | number, n: number) => labels.map((_, i) => f(v(i), n)).join('');
  h +=
    col((i) => labels[i]!, 16) +
    col(() => '', 80) +
    col(() => 'uV', 8) +
    col(() => -2048, 8) +
    col(() => 2047, 8);
  h += col(() => -2048, 8) + col(() => 2047, 8) + col(() => '', 80) + col(() => rate, 8) + col(() => '', 32);
  const data = Buffer.alloc(records * ns * rate * 2);
  let o = 0;
  for (let r = 0; r < records; r++)
    for (let s = 0; s < ns; s++)
      for (let i = 0; i < rate; i++, o += 2) data.writeInt16LE(value(s, r * rate + i), o);
  return Buffer.concat([Buffer.from(h, 'latin1'), data]);
}

describe('EEG recordings', () => {
  it('names channels inside the contract regex and disambiguates the repeated CHB-MIT T8-P8', () => {
    expect(channelNames(['FP1-F7', 'T8-P8', 'EEG Cz', 'T8-P8'], 'f.edf')).toEqual([
      'FP1-F7',
      'T8-P8',
      'Cz',
      'T8-P8b',
    ]);
    expect(() => channelNames(['FP1-F7', 'Fp1-Ref-X'], 'f.edf')).toThrow(
      /f\.edf: signal 2 label "Fp1-Ref-X"/,
    );
  });

  it('reads a Bonn text file as one channel at 173.61 Hz and names the bad line', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'S001.txt'), '12\r\n-40\r\n7\r\n');
    const rec = await loadEegFile(path.join(dir, 'S001.txt'));
    expect(rec.channels).toEqual([BONN_CHANNEL]);
    expect(rec.sampleRateHz).toBe(173.61);
    expect(Array.from(rec.samples[0]!)).toEqual([12, -40, 7]);
    writeFileSync(path.join(dir, 'S002.txt'), '12\r\n4x\r\n');
    await expect(loadEegFile(path.join(dir, 'S002.txt'))).rejects.toThrow(
      /S002\.txt:2: expected one integer/,
    );
  });

  it('reads an EDF file into chunks with duplicate labels renamed, and names a broken header', async () => {
    const dir = tmp();
    const file = path.join(dir, 'rec.edf');
    writeFileSync(
      file,
      edf(['FP1-F7', 'T8-P8', 'T8-P8'], 8, 3, (s, i) => s * 100 + i),
    );
    const rec = await loadEegFile(file);
    expect(rec.channels).toEqual(['FP1-F7', 'T8-P8', 'T8-P8b']);
    const chunker = new EegChunker(rec, 1);
    expect(chunker.chunkCount).toBe(3);
    const req = eegChunkRequest(
      chunker,
      1,
      { patientId: 'p1', deviceId: 'd1' },
      'e1',
      Date.UTC(2024, 0, 1),
      'json',
    );
    const body = JSON.parse(req.body as string);
    expect(body.samples[2]).toEqual([208, 209, 210, 211, 212, 213, 214, 215]);
    expect(body.startTime).toBe('2024-01-01T00:00:00.000Z');
    const bin = eegChunkRequest(
      chunker,
      1,
      { patientId: 'p1', deviceId: 'd1' },
      'e1',
      Date.UTC(2024, 0, 1),
      'binary',
    );
    expect(bin.headers['ce-channels']).toBe('FP1-F7,T8-P8,T8-P8b');
    expect(bin.headers['content-type']).toBe('application/octet-stream');
    const f32 = new Float32Array(new Uint8Array(bin.body as Buffer).slice().buffer);
    expect(f32.length).toBe(24);
    expect(f32[8]).toBe(108); // channel-major: channel 1 starts at index 8
    writeFileSync(path.join(dir, 'bad.edf'), Buffer.from('1       garbage'));
    await expect(loadEegFile(path.join(dir, 'bad.edf'))).rejects.toThrow(
      /bad\.edf: EDF header field "version"/,
    );
  });

  it('refuses unknown extensions and empty directories with the path in the message', async () => {
    await expect(loadEegFile('/x/rec.wav')).rejects.toThrow(/\/x\/rec\.wav: unknown EEG format/);
    await expect(expandPaths([tmp()], ['.edf'])).rejects.toThrow(/no \.edf file in this directory/);
    await expect(expandPaths(['/nope/none'], ['.edf'])).rejects.toThrow(/\/nope\/none: no such file/);
  });
});

describe('heart-rate recordings', () => {
  it('reads BIDMC numerics with offsets from 0 and NaN skipped', async () => {
    const dir = tmp();
    const f = path.join(dir, 'bidmc_01_Numerics.csv');
    writeFileSync(f, 'Time [s], HR, PULSE, RESP, SpO2\n10,80,80,12,98\n11,NaN,80,12,98\n12,82,80,12,98\n');
    const rec = await loadHrFile(f);
    expect(rec).toMatchObject({
      kind: 'hr-series',
      durationS: 3,
      samples: [
        { offsetS: 0, bpm: 80 },
        { offsetS: 2, bpm: 82 },
      ],
    });
  });

  it('reads a Health Auto Export body and re-sends it in complete batched envelopes', async () => {
    const rec = await loadHrFile(FIXTURE);
    if (rec.kind !== 'hae') throw new Error('expected hae');
    const batches = haeBatches(rec.body, 2);
    expect(batches.map((b) => b.entries)).toEqual([2, 2]);
    const second = JSON.parse(batches[1]!.body);
    expect(second.data.metrics.map((m: { name: string }) => m.name)).toEqual([
      'heart_rate',
      'resting_heart_rate',
    ]);
    expect(second.data.metrics[0].units).toBe('count/min');
    expect(second.data.metrics[0].data[0].Avg).toBe(118);
  });

  it('names the line of a JSON syntax error and the field of a wrong envelope', () => {
    expect(() => parseHaeBody('{\n  "data": {\n    "metrics": [,]\n  }\n}', 'h.json')).toThrow(
      /^h\.json:3: not valid JSON/,
    );
    expect(() => parseHaeBody('{"data":{"metrics":{}}}', 'h.json')).toThrow(
      /h\.json: not a Health Auto Export body: field data\.metrics/,
    );
    expect(() =>
      parseHaeBody('{"data":{"metrics":[{"name":"step_count","units":"count","data":[]}]}}', 'h.json'),
    ).toThrow(/no non-empty "heart_rate" metric/);
  });
});
