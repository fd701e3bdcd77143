// EEG signal-quality checks on one chunk, pure. Thresholds set against the real recordings in
// ../shared/data/eeg, measured with `npx tsx training/measure-eeg-quality.ts`
// (per one-second chunk of each channel: 1,886 CHB-MIT and 9,200 Bonn channel-seconds):
// - smallest peak-to-peak seen: 45 µV (Bonn), 52.7 µV (CHB-MIT). A channel below FLAT_PEAK_TO_PEAK_UV = 1 µV
//   over the chunk is 45x quieter than any real second: it carries no EEG (electrode off, amplifier held
//   at a constant, stuck ADC).
// - longest run at the chunk's extreme seen: 7 samples (Bonn, 173.61 Hz, 40 ms), 3 (CHB-MIT, 256 Hz).
//   Clipping is a run of at least max(10 samples, 50 ms) at the chunk's max or min: above every real run
//   seen, and short enough to catch an amplifier sitting on its rail.

export const FLAT_PEAK_TO_PEAK_UV = 1;
export const CLIP_MIN_SAMPLES = 10;
export const CLIP_MIN_SECONDS = 0.05;

export interface ChannelFinding {
  channel: string;
  peakToPeakUv: number;
  /** Longest run of samples sitting at the chunk's max or min. */
  railRunSamples: number;
  railValueUv: number;
}

export interface ChunkQuality {
  flat: ChannelFinding[];
  clipped: ChannelFinding[];
}

export function clipRunThreshold(sampleRateHz: number): number {
  return Math.max(CLIP_MIN_SAMPLES, Math.ceil(CLIP_MIN_SECONDS * sampleRateHz));
}

export function assessChunk(
  channels: readonly string[],
  samples: ReadonlyArray<ArrayLike<number>>,
  sampleRateHz: number,
): ChunkQuality {
  const flat: ChannelFinding[] = [];
  const clipped: ChannelFinding[] = [];
  const minRun = clipRunThreshold(sampleRateHz);
  samples.forEach((row, c) => {
    let mn = Number.POSITIVE_INFINITY;
    let mx = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < row.length; i++) {
      const v = row[i]!;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    let run = 0;
    let best = 0;
    let bestValue = mx;
    for (let i = 0; i < row.length; i++) {
      const v = row[i]!;
      if (v === mx || v === mn) {
        run = i > 0 && row[i - 1] === v ? run + 1 : 1;
        if (run > best) {
          best = run;
          bestValue = v;
        }
      } else run = 0;
    }
    const finding = {
      channel: channels[c] ?? String(c),
      peakToPeakUv: mx - mn,
      railRunSamples: best,
      railValueUv: bestValue,
    };
    if (mx - mn < FLAT_PEAK_TO_PEAK_UV) flat.push(finding);
    else if (best >= minRun) clipped.push(finding);
  });
  return { flat, clipped };
}
