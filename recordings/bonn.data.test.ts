// The real Bonn sets in ../shared (see ../shared/data/README.md, section 1).

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDir } from '../config/env.ts';
import { readBonnDir } from './bonn.ts';

const SHARED = sharedDir();

describe('Bonn sets A-E', () => {
  it('reads all 400 files (CRLF, .txt and .TXT) with 4097 samples in the documented ranges', async () => {
    const recs = await readBonnDir(path.join(SHARED, 'data/eeg/bonn'));
    expect(recs).toHaveLength(400);
    const bySet = new Map<string, number>();
    for (const r of recs) {
      bySet.set(r.set, (bySet.get(r.set) ?? 0) + 1);
      expect(r.samples.length).toBe(4097);
      expect(r.label).toBe(r.set === 'setE' ? 1 : 0);
    }
    expect([...bySet.values()]).toEqual([80, 80, 80, 80, 80]);
    const range = (set: string) => {
      let lo = Infinity;
      let hi = -Infinity;
      for (const r of recs.filter((x) => x.set === set))
        for (const v of r.samples) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      return [lo, hi];
    };
    // The README's ranges are over all 100 files per set; the 80 here lie within them.
    const [eLo, eHi] = range('setE');
    expect(eLo).toBeGreaterThanOrEqual(-1885);
    expect(eHi).toBeLessThanOrEqual(2047);
    const [aLo, aHi] = range('setA');
    expect(aLo).toBeGreaterThanOrEqual(-288);
    expect(aHi).toBeLessThanOrEqual(294);
  });
});
