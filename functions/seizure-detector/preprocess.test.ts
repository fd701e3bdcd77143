import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eegChunkData } from '../../eventing/contract.ts';
import { BONN_SAMPLE_RATE_HZ, parseBonnText } from '../../recordings/bonn.ts';
import { recordingWindows } from '../../training/dataset.ts';
import { decodeBaseline, encodeBaseline } from './adaptation.ts';
import { decodeHistory, encodeHistory } from './context.ts';
import { chunkInputs, type SignalHistory } from './detect.ts';
import { FEATURE_COUNT, FEATURE_NAMES, windowFeatures } from './features.ts';
import { chunkFeatures, MODEL_RATE_HZ, recordingChunks, windowCount } from './preprocess.ts';
import { resample } from './resample.ts';

const fixture = fileURLToPath(new URL('../../data/demo/eeg/bonn/setE/S046.txt', import.meta.url));

describe('resample', () => {
  it('keeps a 10 Hz sine at the model rate (amplitude and phase) from 173.61 and 256 Hz', () => {
    for (const fs of [BONN_SAMPLE_RATE_HZ, 256, 500]) {
      const x = Float64Array.from(
        { length: Math.round(4 * fs) },
        (_, i) => 50 * Math.sin(2 * Math.PI * 10 * (i / fs)),
      );
      const y = resample(x, fs, MODEL_RATE_HZ);
      expect(y.length).toBe(Math.round((x.length * MODEL_RATE_HZ) / fs));
      for (let m = 64; m < y.length - 64; m++)
        expect(y[m]!).toBeCloseTo(50 * Math.sin(2 * Math.PI * 10 * (m / MODEL_RATE_HZ)), 0);
    }
  });

  it('removes content above the model Nyquist frequency', () => {
    const fs = 512;
    const x = Float64Array.from({ length: 2048 }, (_, i) => 100 * Math.sin(2 * Math.PI * 150 * (i / fs)));
    const y = resample(x, fs, MODEL_RATE_HZ);
    const inner = y.subarray(64, y.length - 64);
    expect(Math.max(...inner.map(Math.abs))).toBeLessThan(1);
  });

  it('counts whole one-second windows, also for 174 samples at 173.61 Hz', () => {
    expect(windowCount(174, BONN_SAMPLE_RATE_HZ)).toBe(1);
    expect(windowCount(2560, 256)).toBe(10);
    expect(windowCount(250, 256)).toBe(0);
    expect(windowCount(1736, BONN_SAMPLE_RATE_HZ)).toBe(10);
  });
});

describe('features', () => {
  it('are finite for noise, a sine and a flat line, and amplitude-invariant except the amplitude ones', () => {
    const noise = Float64Array.from({ length: 128 }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1);
    const a = new Float64Array(FEATURE_COUNT);
    const b = new Float64Array(FEATURE_COUNT);
    windowFeatures(noise, 0, a, 0);
    windowFeatures(
      noise.map((v) => v * 7 + 3),
      0,
      b,
      0,
    );
    FEATURE_NAMES.forEach((name, i) => {
      expect(Number.isFinite(a[i]!)).toBe(true);
      if (!/log_sd|log_line_length_uv|log_abs_power/.test(name)) expect(b[i]!).toBeCloseTo(a[i]!, 6);
    });
    windowFeatures(new Float64Array(128).fill(5), 0, a, 0);
    expect(a.every(Number.isFinite)).toBe(true);
  });
});

describe('training and serving preprocessing', () => {
  it('give identical model inputs for the same recording (features, context and baseline across chunks)', () => {
    const samples = parseBonnText(readFileSync(fixture, 'latin1'), fixture);
    const training = recordingWindows({
      file: fixture,
      name: 'S046',
      set: 'setE',
      label: 1,
      sampleRateHz: BONN_SAMPLE_RATE_HZ,
      samples,
    });
    // Serving: the chunks as a device sends them, through JSON and the contract schema, each with the
    // previous chunk's window history and baseline as the detector stores them.
    const served: number[] = [];
    let history: SignalHistory | null = null;
    for (const part of recordingChunks(samples, BONN_SAMPLE_RATE_HZ)) {
      const chunk = eegChunkData.parse(
        JSON.parse(
          JSON.stringify({
            patientId: 'p1',
            deviceId: 'd1',
            startTime: '2024-01-01T00:00:00Z',
            sampleRateHz: BONN_SAMPLE_RATE_HZ,
            channels: ['T5'],
            unit: 'uV',
            samples: [Array.from(part)],
          }),
        ),
      );
      const f = chunkInputs(chunk.samples, chunk.sampleRateHz, history, false);
      const stored = JSON.parse(
        JSON.stringify({ history: encodeHistory(f.history), baseline: encodeBaseline(f.history.baseline!) }),
      );
      history = { ...decodeHistory(stored.history), baseline: decodeBaseline(stored.baseline) };
      served.push(...f.inputs);
    }
    expect(training.nWindows).toBe(23);
    expect(served.length).toBe(training.features.length);
    expect(Float32Array.from(served)).toEqual(training.features);
  });

  it('orders rows window-major, channel-minor', () => {
    const fs = 256;
    const ch0 = Float64Array.from({ length: 512 }, (_, i) => 30 * Math.sin(2 * Math.PI * 3 * (i / fs)));
    const ch1 = Float64Array.from({ length: 512 }, (_, i) => 30 * Math.sin(2 * Math.PI * 20 * (i / fs)));
    const both = chunkFeatures([ch0, ch1], fs);
    const one = chunkFeatures([ch1], fs);
    expect(both.nWindows).toBe(2);
    expect(both.features.subarray(3 * FEATURE_COUNT, 4 * FEATURE_COUNT)).toEqual(
      one.features.subarray(FEATURE_COUNT, 2 * FEATURE_COUNT),
    );
  });
});
