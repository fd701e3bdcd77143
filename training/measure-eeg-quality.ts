// Measures what the technical alarms' signal-quality thresholds are set against
// (functions/technical-alarms/signal-quality.ts):
// per one-second chunk of every channel of the shared recordings, the peak-to-peak amplitude and the longest
// run of samples sitting at the chunk's max or min.
//   npx tsx training/measure-eeg-quality.ts   (reads $VIGIL_SHARED_DIR or ../shared)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '../config/env.ts';
import { loadEegFile } from '../simulator/recordings.ts';

const shared = sharedDir();
const root = join(shared, 'data/eeg');
const files = [
  join(root, 'chbmit-chb01/chb01_03_Seizure.edf'),
  join(root, 'chbmit-chb01/chb01_03_NonSeizure.edf'),
];
for (const set of ['setA', 'setB', 'setC', 'setD', 'setE'])
  for (const f of readdirSync(join(root, 'bonn', set))) files.push(join(root, 'bonn', set, f));

const stats: Record<string, { channelSeconds: number; minPeakToPeakUv: number; longestRailRun: number }> = {};
for (const file of files) {
  const rec = await loadEegFile(file);
  const kind = file.includes('chbmit') ? 'chbmit' : 'bonn';
  stats[kind] ??= { channelSeconds: 0, minPeakToPeakUv: Number.POSITIVE_INFINITY, longestRailRun: 0 };
  const s = stats[kind];
  const fs = Math.round(rec.sampleRateHz);
  for (const ch of rec.samples) {
    for (let start = 0; start + fs <= ch.length; start += fs) {
      let mn = Number.POSITIVE_INFINITY;
      let mx = Number.NEGATIVE_INFINITY;
      for (let i = start; i < start + fs; i++) {
        mn = Math.min(mn, ch[i]!);
        mx = Math.max(mx, ch[i]!);
      }
      let run = 0;
      for (let i = start; i < start + fs; i++) {
        const v = ch[i]!;
        run = v === mx || v === mn ? run + 1 : 0;
        s.longestRailRun = Math.max(s.longestRailRun, run);
      }
      s.channelSeconds++;
      s.minPeakToPeakUv = Math.min(s.minPeakToPeakUv, mx - mn);
    }
  }
}
console.log(JSON.stringify(stats, null, 2));
