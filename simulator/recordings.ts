// Loads the recordings the simulator replays, from whatever format they are in, into two shapes:
// EEG (channels × samples at one rate) and heart rate (timed bpm samples, or a Health Auto Export body).
// Bonn text files are single-channel; this module names that channel BONN_CHANNEL (see below).
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { heartRateSeries, readBidmcNumerics } from '../recordings/bidmc.ts';
import { BONN_SAMPLE_RATE_HZ, parseBonnText } from '../recordings/bonn.ts';
import { readEdfFile } from '../recordings/edf.ts';
import { type HaeBody, parseHaeBody } from './hae.ts';
import { RecordingError } from './recordings-error.ts';

export { RecordingError };

/**
 * Bonn segments carry no electrode name (sets A/B are surface EEG, C-E intracranial, and the paper
 * names no single site per segment), so the one channel is called `Ch1`: a channel number, not a 10-20
 * position, so no screen can show the recording as if it came from an electrode it did not.
 */
export const BONN_CHANNEL = 'Ch1';

export interface EegRecording {
  kind: 'eeg';
  file: string;
  sampleRateHz: number;
  channels: string[];
  /** One array per channel, µV. */
  samples: Float32Array[];
  /** Signals left out because their rate differs from the kept channels' rate (EDF only). */
  dropped: string[];
}

export interface HrSeriesRecording {
  kind: 'hr-series';
  file: string;
  /** Seconds from the recording start and bpm; missing values already skipped. */
  samples: Array<{ offsetS: number; bpm: number }>;
  durationS: number;
}

export interface HaeRecording {
  kind: 'hae';
  file: string;
  body: HaeBody;
}

export type HrRecording = HrSeriesRecording | HaeRecording;

const CHANNEL = /^[A-Za-z0-9]+(-[A-Za-z0-9]+)?$/;

/**
 * Turns file labels into contract channel names: drops an `EEG ` prefix and spaces, and
 * disambiguates repeats by a letter suffix on the second and later occurrence (CHB-MIT lists
 * `T8-P8` twice: the second becomes `T8-P8b`), which keeps the name inside the contract's regex.
 */
export function channelNames(labels: string[], file: string): string[] {
  const seen = new Map<string, number>();
  return labels.map((label, i) => {
    const base = label.replace(/^EEG\s+/i, '').replace(/\s+/g, '');
    if (!CHANNEL.test(base))
      throw new RecordingError(
        `${file}: signal ${i + 1} label ${JSON.stringify(label)} is not a 10-20 name or bipolar pair like FP1-F7`,
      );
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}${String.fromCharCode(97 + n)}`;
  });
}

async function loadBonn(file: string): Promise<EegRecording> {
  let text: string;
  try {
    text = await readFile(file, 'latin1');
  } catch (err) {
    throw new RecordingError(`${file}: cannot read: ${(err as Error).message}`);
  }
  const samples = parseBonnText(text, file);
  return {
    kind: 'eeg',
    file,
    sampleRateHz: BONN_SAMPLE_RATE_HZ,
    channels: [BONN_CHANNEL],
    samples: [Float32Array.from(samples)],
    dropped: [],
  };
}

async function loadEdf(file: string): Promise<EegRecording> {
  const edf = await readEdfFile(file);
  if (edf.signals.length === 0) throw new RecordingError(`${file}: no data signals`);
  // Keep the signals at the most common rate (EEG); others (e.g. an ECG lead at another rate) are listed as dropped.
  const counts = new Map<number, number>();
  for (const s of edf.signals) counts.set(s.sampleRateHz, (counts.get(s.sampleRateHz) ?? 0) + 1);
  const rate = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const kept = edf.signals.filter((s) => s.sampleRateHz === rate);
  const dropped = edf.signals.filter((s) => s.sampleRateHz !== rate).map((s) => s.label);
  if (kept.length > 64)
    throw new RecordingError(`${file}: ${kept.length} signals at ${rate} Hz, at most 64 allowed`);
  return {
    kind: 'eeg',
    file,
    sampleRateHz: rate,
    channels: channelNames(
      kept.map((s) => s.label),
      file,
    ),
    samples: kept.map((s) => Float32Array.from(s.samples)),
    dropped,
  };
}

export async function loadEegFile(file: string): Promise<EegRecording> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.txt') return loadBonn(file);
  if (ext === '.edf') return loadEdf(file);
  throw new RecordingError(`${file}: unknown EEG format (expected a Bonn .txt or an EDF/EDF+ .edf file)`);
}

export async function loadHrFile(file: string): Promise<HrRecording> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') {
    const rec = await readBidmcNumerics(file);
    const series = heartRateSeries(rec);
    if (series.length === 0) throw new RecordingError(`${file}: no heart-rate value (every HR cell is NaN)`);
    const first = rec.rows[0]!.timeS;
    const last = rec.rows[rec.rows.length - 1]!.timeS;
    return {
      kind: 'hr-series',
      file,
      samples: series.map((s) => ({ offsetS: s.timeS - first, bpm: s.bpm })),
      durationS: last - first + 1,
    };
  }
  if (ext === '.json') {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new RecordingError(`${file}: cannot read: ${(err as Error).message}`);
    }
    return { kind: 'hae', file, body: parseHaeBody(text, file) };
  }
  throw new RecordingError(
    `${file}: unknown heart-rate format (expected BIDMC numerics .csv or Health Auto Export .json)`,
  );
}

/** Expands directories (recursively, sorted) into files with one of the extensions; plain files pass through. */
export async function expandPaths(paths: string[], extensions: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(p);
    } catch {
      throw new RecordingError(`${p}: no such file or directory`);
    }
    if (!st.isDirectory()) {
      out.push(p);
      continue;
    }
    const found: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
        a.name.localeCompare(b.name),
      )) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (extensions.includes(path.extname(e.name).toLowerCase())) found.push(full);
      }
    };
    await walk(p);
    if (found.length === 0)
      throw new RecordingError(`${p}: no ${extensions.join('/')} file in this directory`);
    out.push(...found);
  }
  return out;
}

export const EEG_EXTENSIONS = ['.txt', '.edf'];
export const HR_EXTENSIONS = ['.csv', '.json'];
