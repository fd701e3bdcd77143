// `vigil model evaluate` on the full ../shared Bonn set and the CHB-MIT excerpts, through the served path.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run } from '../cli/commands/model.ts';
import { sharedDir } from '../config/env.ts';
import { projectPath } from '../config/project-root.ts';

const SHARED = sharedDir();
const BONN = path.join(SHARED, 'data/eeg/bonn');
const CHB = path.join(SHARED, 'data/eeg/chbmit-chb01');

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: await run(args), out };
  } finally {
    spy.mockRestore();
  }
}

describe('vigil model evaluate on real data', () => {
  it('Bonn, held-out test split: the JSON report, no missed seizure recording', async () => {
    const { code, out } = await cli(['evaluate', '--bonn', BONN, '--split', 'test', '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.windows.tp + r.windows.fn).toBe(16 * 23);
    expect(r.windows.tn + r.windows.fp).toBe(64 * 23);
    expect(r.recordings.tp + r.recordings.fn).toBe(16);
    expect(r.recordings.fn).toBe(0);
    expect(r.windows.rocAuc).toBeGreaterThan(0.99);
    expect(r.windows.sensitivity).toBeGreaterThan(0.97);
    expect(r.windows.specificity).toBeGreaterThan(0.93);
    // the model card quotes this file: it must be what the committed model prints today
    const committed = JSON.parse(
      readFileSync(projectPath('models/seizure/metrics/test-evaluation.json'), 'utf8'),
    );
    expect(r).toEqual(committed);
  });

  it('Bonn, all 400 recordings: every set is evaluated', async () => {
    const { code, out } = await cli(['evaluate', '--bonn', BONN, '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.perRecording).toHaveLength(400);
    expect(r.recordings.tp + r.recordings.fn).toBe(80);
    expect(r.recordings.sensitivity).toBeGreaterThan(0.95);
  });

  it('CHB-MIT excerpts: the seizure alerts within 10 s of its onset (1 s), the non-seizure excerpt raises nothing', async () => {
    const sz = JSON.parse(
      (await cli(['evaluate', '--edf', path.join(CHB, 'chb01_03_Seizure.edf'), '--json'])).out,
    );
    const non = JSON.parse(
      (await cli(['evaluate', '--edf', path.join(CHB, 'chb01_03_NonSeizure.edf'), '--json'])).out,
    );
    expect(sz.seconds).toHaveLength(41);
    expect(non.seconds).toHaveLength(41);
    expect(non.fired).toBe(false);
    expect(sz.fired).toBe(true);
    expect(sz.alertAtS).toBeLessThanOrEqual(1 + 10);
    // the model card quotes these files: they must be what the committed model prints today (the
    // file names were given relative to the repository there)
    const named = (r: { file: string }) => ({ ...r, file: path.basename(r.file) });
    for (const [name, r] of [
      ['chb01_03_Seizure', sz],
      ['chb01_03_NonSeizure', non],
    ] as const)
      expect(named(r)).toEqual(
        named(JSON.parse(readFileSync(projectPath(`models/seizure/metrics/${name}.json`), 'utf8'))),
      );
    // The seizure (1-41 s) scores higher on average than the seizure-free excerpt, whether or not it fires.
    const mean = (xs: Array<{ probability: number }>) =>
      xs.reduce((a, x) => a + x.probability, 0) / xs.length;
    expect(mean(sz.seconds.slice(1))).toBeGreaterThan(mean(non.seconds));
  });

  it('bad input: exit code 2 naming the flag or file', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect((await cli(['evaluate', '--bonn', BONN, '--split', 'nope'])).code).toBe(2);
      expect((await cli(['evaluate', '--edf', path.join(BONN, 'setA/Z001.txt')])).code).toBe(2);
      expect((await cli(['evaluate', '--bogus'])).code).toBe(2);
      expect(String(err.mock.calls.map((c) => c[0]).join(''))).toMatch(/--split[\s\S]*Z001\.txt[\s\S]*bogus/);
    } finally {
      err.mockRestore();
    }
  });
});
