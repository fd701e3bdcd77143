// `vigil model evaluate --rule`: the served detector scored with another episode rule, on the demo EDF.
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { projectPath } from '../../config/project-root.ts';
import { run } from './model.ts';

const EDF = projectPath('data/demo/eeg/chb01_03_Seizure.edf');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    out += String(c);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    err += String(c);
    return true;
  });
  try {
    return { code: await run(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('vigil model evaluate --rule', () => {
  it('scores the same seconds with another episode rule: a stricter one alerts no earlier', async () => {
    const served = JSON.parse((await cli(['evaluate', '--edf', EDF, '--json'])).out);
    const loose = JSON.parse((await cli(['evaluate', '--edf', EDF, '--json', '--rule', '1/1'])).out);
    const strict = JSON.parse((await cli(['evaluate', '--edf', EDF, '--json', '--rule', '8/8'])).out);
    expect(loose.seconds).toEqual(served.seconds);
    const first = served.seconds.find((s: { positive: boolean }) => s.positive);
    expect(loose.alertAtS).toBe(first.startS + 1);
    for (const r of [served, strict]) if (r.fired) expect(r.alertAtS).toBeGreaterThanOrEqual(loose.alertAtS);
    const text = (await cli(['evaluate', '--edf', path.relative(process.cwd(), EDF), '--rule', '8/8'])).out;
    expect(text).toMatch(/episode rule/);
  });

  it('refuses a rule that is not P/W with 1 <= P <= W', async () => {
    for (const bad of ['5/4', '0/3', 'x', '3/4/5']) {
      const r = await cli(['evaluate', '--edf', EDF, '--rule', bad]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--rule must be P\/W/);
    }
  });
});
