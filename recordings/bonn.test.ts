import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BONN_SAMPLE_RATE_HZ, BonnFormatError, listBonnDir, parseBonnText, readBonnDir } from './bonn.ts';

describe('parseBonnText', () => {
  it('reads one integer per CRLF line, with or without a final newline', () => {
    expect(Array.from(parseBonnText('12\r\n-7\r\n+3\r\n', 'a.txt'))).toEqual([12, -7, 3]);
    expect(Array.from(parseBonnText('12\r\n-7\r\n0', 'a.txt'))).toEqual([12, -7, 0]);
    expect(Array.from(parseBonnText('5\n6\n', 'a.txt'))).toEqual([5, 6]);
  });

  it('names the file and line of a bad sample', () => {
    expect(() => parseBonnText('1\r\n2\r\n2.5x\r\n', 'setD/F001.txt')).toThrow(
      /setD\/F001\.txt:3: .*"2\.5x"/,
    );
    expect(() => parseBonnText('1\r\n\r\n3\r\n', 'x.txt')).toThrow(/x\.txt:2:/);
    expect(() => parseBonnText('', 'empty.txt')).toThrow(BonnFormatError);
  });
});

describe('listBonnDir / readBonnDir', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bonn-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'setC'));
  mkdirSync(path.join(dir, 'setE'));
  writeFileSync(path.join(dir, 'setC', 'N001.TXT'), '1\r\n2\r\n');
  writeFileSync(path.join(dir, 'setE', 'S002.txt'), '-3\r\n4\r\n');
  writeFileSync(path.join(dir, 'setE', 'notes.md'), 'ignored');

  it('finds any subset of sets, .txt in any case, labels E as seizure', async () => {
    const recs = await readBonnDir(dir);
    expect(recs.map((r) => [r.set, r.name, r.label, r.sampleRateHz])).toEqual([
      ['setC', 'N001', 0, BONN_SAMPLE_RATE_HZ],
      ['setE', 'S002', 1, BONN_SAMPLE_RATE_HZ],
    ]);
    expect(Array.from(recs[1]!.samples)).toEqual([-3, 4]);
  });

  it('rejects a dir without sets, naming it', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'bonn-empty-'));
    await expect(listBonnDir(empty)).rejects.toThrow(empty);
    rmSync(empty, { recursive: true });
  });
});
