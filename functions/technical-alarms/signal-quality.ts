// EEG signal-quality checks on one chunk, pure. Thresholds measured on the real recordings in
// ../shared/data/eeg (script: per 1-s chunk and channel, peak-to-peak and the longest run of samples equal
// to the chunk's max or min; 1,886 CHB-MIT and 9,200 Bonn channel-seconds):
// - smallest real peak-to-peak: 45 µV (Bonn), 52.7 µV (CHB-MIT). A channel whose peak-to-peak stays
//   below FLAT_PEAK_TO_PEAK_UV = 1 µV over the chunk is 45x quieter than any real second seen: it
//   carries no EEG (electrode off, amplifier saturated at a constant, or a stuck ADC).
// - longest real run at the extreme: 7 samples (Bonn, 173.61 Hz, 40 ms), 3 samples (CHB-MIT, 256 Hz).
//   Clipping is a run of at least max(10 samples, 50 ms) at the chunk's max or min: above every real
//   run seen, and short enough to catch an amplifier sitting on its rail.

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
