// What the detector said about each one-second window, in the words the dashboard shows: seizure-like
// or not. A window is seizure-like when its score (the detector's own windowScore over the channels)
// reaches the installed model's threshold, as the detector decides; without a model installed next to
// the dashboard the chunk's label stands for all its windows.
import { windowScore } from '../../functions/seizure-detector/detect.ts';

export interface SeizureWindow {
  start: number;
  seizureLike: boolean;
}

export function seizureWindows(
  windowStartMs: number,
  windowSeconds: number,
  /** [window][channel] probabilities, as an array or the stored JSON text. */
  windowProbabilities: unknown,
  threshold: number | null,
  label: string,
): SeizureWindow[] {
  let rows: unknown = windowProbabilities;
  if (typeof rows === 'string') {
    try {
      rows = JSON.parse(rows);
    } catch {
      rows = [];
    }
  }
  if (!Array.isArray(rows)) return [];
  return rows.map((row, i) => {
    const probs = Array.isArray(row) ? row.filter((p): p is number => typeof p === 'number') : [];
    return {
      start: windowStartMs + i * windowSeconds * 1000,
      seizureLike:
        threshold === null ? label === 'seizure' : probs.length > 0 && windowScore(probs) >= threshold,
    };
  });
}
