// Scans BIDMC numerics files for heart-rate runs beyond the alarm limits, to pick demo records.
// Usage: npx tsx simulator/scan-hr-limits.ts [DIR] [--low 40] [--high 130]
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { heartRateSeries, limitRuns, readBidmcNumerics } from '../recordings/bidmc.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { low: { type: 'string', default: '40' }, high: { type: 'string', default: '130' } },
});
const dir = positionals[0] ?? path.resolve(import.meta.dirname, '../../shared/data/heart-rate/bidmc');
const low = Number(values.low);
const high = Number(values.high);
const files = (await readdir(dir)).filter((f) => f.endsWith('_Numerics.csv')).sort();
console.log(`record\tmin\tmax\tlongest run beyond ${low}/${high} bpm`);
for (const f of files) {
  const rec = await readBidmcNumerics(path.join(dir, f));
  const bpm = heartRateSeries(rec).map((s) => s.bpm);
  const longest = limitRuns(rec, low, high).sort((a, b) => b.seconds - a.seconds)[0];
  const run = longest ? `${longest.kind} for ${longest.seconds} s from t=${longest.startS} s` : '-';
  console.log(`${rec.name}\t${Math.min(...bpm)}\t${Math.max(...bpm)}\t${run}`);
}
