// The one byte form of EEG samples: channel-major float32, little-endian. It is what eeg_chunks.samples
// holds, what a device's application/octet-stream chunk body carries and what the outbox stores. It
// lives at the bottom (storage/ may import nothing above it); eventing/eeg-codec.ts builds on it.

/** Float32Array uses the platform's byte order; the stored and wire order is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One row per channel, as float32: the samples' form from ingest to storage and the detectors. */
export type Float32Samples = Float32Array[];

/** Channel-major float32 LE bytes of `samples` (every row as long as the first). */
export function samplesToBytes(samples: readonly ArrayLike<number>[]): Buffer {
  const n = samples[0]?.length ?? 0;
  const f32 = new Float32Array(samples.length * n);
  samples.forEach((row, c) => {
    if (row.length !== n) throw new RangeError(`channel ${c} has ${row.length} samples, channel 0 has ${n}`);
    f32.set(row, c * n);
  });
  const bytes = Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength);
  return LITTLE_ENDIAN ? bytes : bytes.swap32();
}

/**
 * The rows encoded in `bytes` (a whole number of float32 per channel). The rows share one aligned copy:
 * `bytes` may start at any offset (a slice of a larger buffer), which a Float32Array view cannot.
 */
export function bytesToSamples(bytes: Uint8Array, channels: number): Float32Samples {
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`${channels} channels`);
  if (bytes.byteLength % (4 * channels) !== 0)
    throw new RangeError(
      `${bytes.byteLength} bytes are not a whole number of float32 samples for ${channels} channels`,
    );
  const copy = new Uint8Array(bytes);
  if (!LITTLE_ENDIAN) Buffer.from(copy.buffer).swap32();
  const f32 = new Float32Array(copy.buffer);
  const n = f32.length / channels;
  return Array.from({ length: channels }, (_, c) => f32.subarray(c * n, (c + 1) * n));
}
