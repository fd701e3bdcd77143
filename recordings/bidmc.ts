// Reader for the BIDMC PPG and Respiration Dataset numerics (PhysioNet): 1 Hz bedside-monitor vital
// signs, header exactly `Time [s], HR, PULSE, RESP, SpO2`, `NaN` for a missing value, LF endings.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const BIDMC_HEADER = 'Time [s], HR, PULSE, RESP, SpO2';
const COLUMNS = 5;

/** One 1 Hz row; a missing value (`NaN` in the file) is `undefined`, never NaN. */
export interface BidmcRow {
  timeS: number;
  hr?: number;
  pulse?: number;
  resp?: number;
  spo2?: number;
}

export interface BidmcRecording {
  file: string;
  /** File name without `_Numerics.csv`, e.g. `bidmc_01`. */
  name: string;
  rows: BidmcRow[];
}

/** A numerics file that does not follow the format; the message names the file and line. */
export class BidmcFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(line === undefined ? `${file}: ${detail}` : `${file}:${line}: ${detail}`);
    this.name = 'BidmcFormatError';
  }
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

function cell(raw: string, file: string, line: number, column: string): number | undefined {
  const s = raw.trim();
  if (s === 'NaN') return undefined;
  if (!NUMBER.test(s))
    throw new BidmcFormatError(
      file,
      line,
      `column ${column}: expected a number or NaN, got ${JSON.stringify(s)}`,
    );
  return Number(s);
}

/** Parses the text of one `bidmc_NN_Numerics.csv`. One trailing newline is allowed; CR is refused (the dataset is LF). */
export function parseBidmcNumerics(text: string, file: string): BidmcRow[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new BidmcFormatError(file, undefined, 'file is empty');
  if (lines[0] !== BIDMC_HEADER)
    throw new BidmcFormatError(
      file,
      1,
      `header must be exactly ${JSON.stringify(BIDMC_HEADER)}, got ${JSON.stringify(lines[0]!.slice(0, 80))}`,
    );
  const rows: BidmcRow[] = [];
  let previous = -Infinity;
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const text = lines[i]!;
    if (text.endsWith('\r')) throw new BidmcFormatError(file, line, 'CR line ending (the format uses LF)');
    const parts = text.split(',');
    if (parts.length !== COLUMNS)
      throw new BidmcFormatError(
        file,
        line,
        `expected ${COLUMNS} comma-separated values, got ${parts.length}`,
      );
    const timeS = cell(parts[0]!, file, line, 'Time [s]');
    if (timeS === undefined) throw new BidmcFormatError(file, line, 'column Time [s]: must not be NaN');
    if (timeS <= previous)
      throw new BidmcFormatError(
        file,
        line,
        `column Time [s]: ${timeS} does not increase (previous ${previous})`,
      );
    previous = timeS;
    const row: BidmcRow = { timeS };
    const hr = cell(parts[1]!, file, line, 'HR');
    const pulse = cell(parts[2]!, file, line, 'PULSE');
    const resp = cell(parts[3]!, file, line, 'RESP');
    const spo2 = cell(parts[4]!, file, line, 'SpO2');
    if (hr !== undefined) row.hr = hr;
    if (pulse !== undefined) row.pulse = pulse;
    if (resp !== undefined) row.resp = resp;
    if (spo2 !== undefined) row.spo2 = spo2;
    rows.push(row);
  }
  if (rows.length === 0) throw new BidmcFormatError(file, undefined, 'no data rows after the header');
  return rows;
}

export async function readBidmcNumerics(file: string): Promise<BidmcRecording> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new BidmcFormatError(file, undefined, `cannot read: ${(err as Error).message}`);
  }
  return {
    file,
    name: path.basename(file).replace(/_Numerics\.csv$/i, ''),
    rows: parseBidmcNumerics(text, file),
  };
}

/** Heart-rate samples of a recording, missing values skipped. */
export function heartRateSeries(rec: BidmcRecording): Array<{ timeS: number; bpm: number }> {
  const out: Array<{ timeS: number; bpm: number }> = [];
  for (const r of rec.rows) if (r.hr !== undefined) out.push({ timeS: r.timeS, bpm: r.hr });
  return out;
}

export interface LimitRun {
  kind: 'above' | 'below';
  startS: number;
  /** Consecutive seconds the HR stays beyond the limit. */
  seconds: number;
}

/** Longest runs of HR beyond `low`/`high` (strictly), used to pick demo records that trigger alarms. */
export function limitRuns(rec: BidmcRecording, low: number, high: number): LimitRun[] {
  const runs: LimitRun[] = [];
  let current: LimitRun | undefined;
  for (const s of heartRateSeries(rec)) {
    const kind = s.bpm > high ? 'above' : s.bpm < low ? 'below' : undefined;
    if (current && kind === current.kind) {
      current.seconds = s.timeS - current.startS + 1;
      continue;
    }
    if (current) runs.push(current);
    current = kind ? { kind, startS: s.timeS, seconds: 1 } : undefined;
  }
  if (current) runs.push(current);
  return runs;
}
