// Reader for EDF and EDF+ (https://www.edfplus.info/specs/): fixed-width ASCII header, then data
// records of little-endian int16 samples per signal. Digital values are scaled to physical units;
// the EDF+ "EDF Annotations" signal is kept out of the data and its TALs are parsed.
import { readFile } from 'node:fs/promises';

export class EdfFormatError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}: EDF header field "${field}": ${detail}`);
    this.name = 'EdfFormatError';
  }
}

export interface EdfSignal {
  label: string;
  transducer: string;
  physicalDimension: string;
  physicalMin: number;
  physicalMax: number;
  digitalMin: number;
  digitalMax: number;
  prefiltering: string;
  samplesPerRecord: number;
  sampleRateHz: number;
  /** Physical values (e.g. µV), all records concatenated. */
  samples: Float64Array;
}

export interface EdfAnnotation {
  /** Seconds from the file start. */
  onset: number;
  duration: number | undefined;
  text: string;
}

export interface EdfFile {
  format: 'EDF' | 'EDF+C' | 'EDF+D';
  patient: string;
  recording: string;
  /** As written, `dd.mm.yy` and `hh.mm.ss`. */
  startDate: string;
  startTime: string;
  headerBytes: number;
  recordCount: number;
  recordDurationS: number;
  signals: EdfSignal[];
  annotations: EdfAnnotation[];
  /** Onset of every data record in seconds (from EDF+ time-keeping TALs; i × duration otherwise). */
  recordOnsets: number[];
}

const ANNOTATION_LABEL = 'EDF Annotations';

export async function readEdfFile(file: string): Promise<EdfFile> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    throw new EdfFormatError(file, 'file', `cannot read: ${(err as Error).message}`);
  }
  return parseEdf(buf, file);
}

export function parseEdf(buf: Uint8Array, file: string): EdfFile {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const ascii = (start: number, len: number, field: string): string => {
    if (start + len > bytes.length)
      throw new EdfFormatError(file, field, `file ends at byte ${bytes.length}`);
    return bytes.toString('latin1', start, start + len).trim();
  };
  const num = (start: number, len: number, field: string, integer: boolean): number => {
    const s = ascii(start, len, field);
    const v = Number(s);
    if (s === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
      throw new EdfFormatError(
        file,
        field,
        `expected ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(s)}`,
      );
    return v;
  };

  const version = ascii(0, 8, 'version');
  if (version !== '0')
    throw new EdfFormatError(file, 'version', `expected "0", got ${JSON.stringify(version)}`);
  const patient = ascii(8, 80, 'patient');
  const recording = ascii(88, 80, 'recording');
  const startDate = ascii(168, 8, 'startdate');
  const startTime = ascii(176, 8, 'starttime');
  const headerBytes = num(184, 8, 'number of bytes in header record', true);
  const reserved = ascii(192, 44, 'reserved');
  const format = reserved.startsWith('EDF+D') ? 'EDF+D' : reserved.startsWith('EDF+C') ? 'EDF+C' : 'EDF';
  let recordCount = num(236, 8, 'number of data records', true);
  const recordDurationS = num(244, 8, 'duration of a data record', false);
  const ns = num(252, 4, 'number of signals', true);
  if (ns < 1) throw new EdfFormatError(file, 'number of signals', `expected at least 1, got ${ns}`);
  if (headerBytes !== 256 * (ns + 1))
    throw new EdfFormatError(
      file,
      'number of bytes in header record',
      `${headerBytes} does not equal 256 × (1 + ${ns} signals) = ${256 * (ns + 1)}`,
    );
  if (recordDurationS < 0)
    throw new EdfFormatError(
      file,
      'duration of a data record',
      `must not be negative, got ${recordDurationS}`,
    );

  // Per-signal fields are stored field by field: all labels, then all transducers, and so on.
  let off = 256;
  const column = (len: number, field: string): string[] => {
    const out: string[] = [];
    for (let i = 0; i < ns; i++) out.push(ascii(off + i * len, len, `${field} (signal ${i + 1})`));
    off += ns * len;
    return out;
  };
  const numColumn = (len: number, field: string, integer: boolean): number[] =>
    column(len, field).map((s, i) => {
      const v = Number(s);
      if (s === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
        throw new EdfFormatError(
          file,
          `${field} (signal ${i + 1})`,
          `expected ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(s)}`,
        );
      return v;
    });
  const labels = column(16, 'label');
  const transducers = column(80, 'transducer type');
  const dims = column(8, 'physical dimension');
  const physMin = numColumn(8, 'physical minimum', false);
  const physMax = numColumn(8, 'physical maximum', false);
  const digMin = numColumn(8, 'digital minimum', true);
  const digMax = numColumn(8, 'digital maximum', true);
  const prefilter = column(80, 'prefiltering');
  const spr = numColumn(8, 'number of samples in each data record', true);

  for (let i = 0; i < ns; i++) {
    if (spr[i]! < 1)
      throw new EdfFormatError(
        file,
        `number of samples in each data record (signal ${i + 1})`,
        'must be ≥ 1',
      );
    if (digMax[i]! <= digMin[i]!)
      throw new EdfFormatError(
        file,
        `digital maximum (signal ${i + 1})`,
        `${digMax[i]} is not above digital minimum ${digMin[i]}`,
      );
    if (physMax[i] === physMin[i])
      throw new EdfFormatError(file, `physical maximum (signal ${i + 1})`, 'equals physical minimum');
  }

  const recordBytes = spr.reduce((a, b) => a + b, 0) * 2;
  const dataBytes = bytes.length - headerBytes;
  if (recordCount === -1) recordCount = Math.floor(dataBytes / recordBytes);
  if (recordCount < 0)
    throw new EdfFormatError(file, 'number of data records', `invalid value ${recordCount}`);
  if (dataBytes < recordCount * recordBytes)
    throw new EdfFormatError(
      file,
      'number of data records',
      `header promises ${recordCount} records of ${recordBytes} bytes but the file holds ${Math.max(0, dataBytes)} data bytes`,
    );

  const isAnnotation = labels.map((l) => format !== 'EDF' && l === ANNOTATION_LABEL);
  const signals: EdfSignal[] = [];
  const signalIndex: number[] = [];
  for (let i = 0; i < ns; i++) {
    if (isAnnotation[i]) continue;
    signalIndex[i] = signals.length;
    signals.push({
      label: labels[i]!,
      transducer: transducers[i]!,
      physicalDimension: dims[i]!,
      physicalMin: physMin[i]!,
      physicalMax: physMax[i]!,
      digitalMin: digMin[i]!,
      digitalMax: digMax[i]!,
      prefiltering: prefilter[i]!,
      samplesPerRecord: spr[i]!,
      sampleRateHz: recordDurationS > 0 ? spr[i]! / recordDurationS : 0,
      samples: new Float64Array(spr[i]! * recordCount),
    });
  }

  const annotations: EdfAnnotation[] = [];
  const recordOnsets: number[] = [];
  let pos = headerBytes;
  for (let r = 0; r < recordCount; r++) {
    let onset: number | undefined;
    for (let i = 0; i < ns; i++) {
      const n = spr[i]!;
      if (isAnnotation[i]) {
        const tals = parseTals(bytes.subarray(pos, pos + n * 2), file, r);
        // The first TAL of each annotation signal in a record is its time-keeping stamp (empty text).
        if (onset === undefined && tals.length > 0) onset = tals[0]!.onset;
        for (const [k, t] of tals.entries()) if (!(k === 0 && t.text === '')) annotations.push(t);
      } else {
        const sig = signals[signalIndex[i]!]!;
        const gain = (sig.physicalMax - sig.physicalMin) / (sig.digitalMax - sig.digitalMin);
        const base = r * n;
        for (let j = 0; j < n; j++)
          sig.samples[base + j] = sig.physicalMin + (bytes.readInt16LE(pos + j * 2) - sig.digitalMin) * gain;
      }
      pos += n * 2;
    }
    recordOnsets.push(onset ?? r * recordDurationS);
  }
  return {
    format,
    patient,
    recording,
    startDate,
    startTime,
    headerBytes,
    recordCount,
    recordDurationS,
    signals,
    annotations,
    recordOnsets,
  };
}

/** Time-stamped Annotation Lists: `+onset[\x15duration]\x14text\x14[text\x14]\x00`, zero padded. */
function parseTals(raw: Uint8Array, file: string, record: number): EdfAnnotation[] {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  const out: EdfAnnotation[] = [];
  for (const tal of text.split('\x00')) {
    if (tal === '') continue;
    const parts = tal.split('\x14');
    const head = parts[0]!;
    const [onsetStr, durStr] = head.split('\x15');
    const onset = Number(onsetStr);
    if (!/^[+-]/.test(onsetStr ?? '') || !Number.isFinite(onset))
      throw new EdfFormatError(
        file,
        'EDF Annotations',
        `record ${record + 1}: TAL onset ${JSON.stringify(onsetStr)} is not a signed number`,
      );
    const duration = durStr === undefined || durStr === '' ? undefined : Number(durStr);
    if (duration !== undefined && !Number.isFinite(duration))
      throw new EdfFormatError(
        file,
        'EDF Annotations',
        `record ${record + 1}: TAL duration ${JSON.stringify(durStr)} is not a number`,
      );
    // parts: [head, text1, text2, ..., ''] — the trailing '' comes from the closing \x14.
    const texts = parts.slice(1, parts[parts.length - 1] === '' ? -1 : undefined);
    if (texts.length === 0) texts.push('');
    for (const t of texts) out.push({ onset, duration, text: t });
  }
  return out;
}
