// The event contract: every Vigil CloudEvent type and its data schema, defined once.
// Validation (ingest), TypeScript types (functions) and JSON Schemas (GET /schemas/<type>) all come from here.
import { z } from 'zod';
import { ALERT_CATEGORIES, ALERT_KINDS, PRIORITIES, SEVERITIES } from '../storage/alert-vocabulary.ts';
import type { Float32Samples } from '../storage/float32-samples.ts';
import { ID_MAX_LENGTH, ID_PATTERN, ID_RULE } from '../storage/identifiers.ts';

export const EVENT_TYPES = {
  eegChunk: 'org.vigil.eeg.chunk',
  heartRateSample: 'org.vigil.heartrate.sample',
  eegPrediction: 'org.vigil.eeg.prediction',
  alertRaised: 'org.vigil.alert.raised',
  alertAcknowledged: 'org.vigil.alert.acknowledged',
  alertCleared: 'org.vigil.alert.cleared',
  /** A high-priority alarm nobody acknowledged within VIGIL_ESCALATION_DELAY_S: route it to a pager. */
  alertEscalated: 'org.vigil.alert.escalated',
  technicalCheck: 'org.vigil.technical.check',
  /** Ingest refused a device's data for a time too far in the future (its clock is wrong). */
  clockRejected: 'org.vigil.device.clock-rejected',
} as const;

/** Limits device makers can rely on (also published in the JSON Schemas). */
export const LIMITS = {
  maxBodyBytes: 1024 * 1024,
  maxBatchEvents: 500,
  maxEegSeconds: 10,
  maxEegChannels: 64,
  minSampleRateHz: 1,
  maxSampleRateHz: 4096,
  maxHeartRateSamples: 3600,
} as const;

const id = z.string().min(1).max(ID_MAX_LENGTH).regex(ID_PATTERN, ID_RULE);
const rfc3339 = z.iso.datetime({ offset: true });
const finite = z.number().finite();

export const patientIdSchema = id;
export const deviceIdSchema = id;

/** 10-20 system electrode names or bipolar derivations such as FP1-F7 (CHB-MIT montage). */
const channelName = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Za-z0-9]+(-[A-Za-z0-9]+)?$/, '10-20 electrode name or bipolar pair like FP1-F7');

/**
 * samples[channel][i]: a finite-number matrix, decoded once, here at the door, into one Float32Array per
 * channel (the form every later stage uses; see eventing/eeg-codec.ts). Rows that are already float32
 * (an octet-stream body) are kept. Finiteness is checked on the float32 value: 1e39 is a finite JSON
 * number but an infinite float32. One plain loop rather than a zod schema per element: a 23-channel
 * second is 5,888 numbers and this is the ingest hot path.
 */
const sampleMatrix = z
  .custom<number[][] | Float32Array[]>(() => true)
  .meta({
    type: 'array',
    minItems: 1,
    maxItems: LIMITS.maxEegChannels,
    items: { type: 'array', minItems: 1, items: { type: 'number' } },
    description: 'samples[channel][i] in µV, one row per entry of channels, all rows the same length',
  })
  .transform((v: unknown, ctx): Float32Samples => {
    if (!Array.isArray(v) || v.length < 1 || v.length > LIMITS.maxEegChannels) {
      ctx.addIssue({ code: 'custom', message: `expected 1-${LIMITS.maxEegChannels} channel rows` });
      return z.NEVER;
    }
    const rows = new Array<Float32Array>(v.length);
    for (let c = 0; c < v.length; c++) {
      const row: unknown = v[c];
      if (!(row instanceof Float32Array || Array.isArray(row)) || row.length < 1) {
        ctx.addIssue({ code: 'custom', path: [c], message: 'expected a non-empty array of numbers' });
        return z.NEVER;
      }
      let f32: Float32Array;
      if (row instanceof Float32Array) f32 = row;
      else {
        f32 = new Float32Array(row.length);
        for (let i = 0; i < row.length; i++) {
          const x: unknown = row[i];
          if (typeof x !== 'number') {
            ctx.addIssue({ code: 'custom', path: [c, i], message: 'expected a finite number' });
            return z.NEVER;
          }
          f32[i] = x;
        }
      }
      for (let i = 0; i < f32.length; i++)
        if (!Number.isFinite(f32[i]!)) {
          ctx.addIssue({
            code: 'custom',
            path: [c, i],
            message: 'expected a finite number (within float32 range, |x| < 3.4e38)',
          });
          return z.NEVER;
        }
      rows[c] = f32;
    }
    return rows;
  });

export const eegChunkData = z
  .object({
    patientId: patientIdSchema,
    deviceId: deviceIdSchema,
    startTime: rfc3339,
    sampleRateHz: finite.min(LIMITS.minSampleRateHz).max(LIMITS.maxSampleRateHz),
    channels: z.array(channelName).min(1).max(LIMITS.maxEegChannels),
    unit: z.literal('uV'),
    samples: sampleMatrix,
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.samples.length !== d.channels.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['samples'],
        message: `samples has ${d.samples.length} rows but channels names ${d.channels.length}`,
      });
      return;
    }
    const n = d.samples[0]!.length;
    d.samples.forEach((row, i) => {
      if (row.length !== n)
        ctx.addIssue({
          code: 'custom',
          path: ['samples', i],
          message: `channel ${i} has ${row.length} samples, channel 0 has ${n}`,
        });
    });
    if (n / d.sampleRateHz > LIMITS.maxEegSeconds + 1e-9)
      ctx.addIssue({
        code: 'custom',
        path: ['samples'],
        message: `chunk lasts ${(n / d.sampleRateHz).toFixed(3)} s, at most ${LIMITS.maxEegSeconds} s allowed`,
      });
  });
/** A validated chunk: samples are one Float32Array per channel. */
export type EegChunk = z.output<typeof eegChunkData>;

export const heartRateSampleData = z
  .object({
    patientId: patientIdSchema,
    deviceId: deviceIdSchema,
    source: z.string().min(1).max(200),
    samples: z
      .array(
        z
          .object({
            time: rfc3339,
            bpm: finite,
            min: finite.optional(),
            max: finite.optional(),
          })
          .strict(),
      )
      .min(1)
      .max(LIMITS.maxHeartRateSamples),
  })
  .strict();
export type HeartRateSample = z.infer<typeof heartRateSampleData>;

export const eegPredictionData = z
  .object({
    patientId: patientIdSchema,
    deviceId: deviceIdSchema,
    chunkEventId: z.string().min(1),
    chunkSource: z.string().min(1),
    windowStart: rfc3339,
    windowSeconds: finite.positive(),
    windowProbabilities: z.array(z.array(finite.min(0).max(1))),
    chunkProbability: finite.min(0).max(1),
    label: z.enum(['seizure', 'normal']),
    modelVersion: z.string().min(1),
  })
  .strict();
export type EegPrediction = z.infer<typeof eegPredictionData>;

export const alertRaisedData = z
  .object({
    alertId: z.string().min(1).max(128),
    patientId: patientIdSchema,
    kind: z.enum(ALERT_KINDS),
    category: z.enum(ALERT_CATEGORIES),
    severity: z.enum(SEVERITIES),
    /** IEC 60601-1-8 priority; absent from older producers, then the kind's configured one. */
    priority: z.enum(PRIORITIES).optional(),
    evidence: z.record(z.string(), z.unknown()),
    raisedAt: rfc3339,
  })
  .strict();
export type AlertRaised = z.infer<typeof alertRaisedData>;

export const alertAcknowledgedData = z
  .object({
    alertId: z.string().min(1).max(128),
    by: z.string().min(1).max(128),
    at: rfc3339,
    note: z.string().max(2000).default(''),
  })
  .strict();
export type AlertAcknowledged = z.input<typeof alertAcknowledgedData>;

export const alertClearedData = z
  .object({
    alertId: z.string().min(1).max(128),
    patientId: patientIdSchema,
    kind: z.enum(ALERT_KINDS),
    by: z.string().min(1).max(128),
    at: rfc3339,
    reason: z.string().max(2000),
  })
  .strict();
export type AlertCleared = z.infer<typeof alertClearedData>;

export const alertEscalatedData = z
  .object({
    alertId: z.string().min(1).max(128),
    patientId: patientIdSchema,
    kind: z.enum(ALERT_KINDS),
    priority: z.enum(PRIORITIES),
    raisedAt: rfc3339,
    escalatedAt: rfc3339,
    /** How long it had gone unacknowledged. */
    unacknowledgedSeconds: finite.min(0),
  })
  .strict();
export type AlertEscalated = z.infer<typeof alertEscalatedData>;

export const clockRejectedData = z
  .object({
    patientId: patientIdSchema,
    deviceId: deviceIdSchema,
    /** The refused field, e.g. `data.samples[0].time`. */
    field: z.string().min(1).max(200),
    time: rfc3339,
    receivedAt: rfc3339,
    aheadSeconds: finite,
  })
  .strict();
export type ClockRejected = z.infer<typeof clockRejectedData>;

/** Data schema per type. Types devices may send are listed in DEVICE_EVENT_TYPES. */
export const DATA_SCHEMAS = {
  [EVENT_TYPES.eegChunk]: eegChunkData,
  [EVENT_TYPES.heartRateSample]: heartRateSampleData,
  [EVENT_TYPES.eegPrediction]: eegPredictionData,
  [EVENT_TYPES.alertRaised]: alertRaisedData,
  [EVENT_TYPES.alertAcknowledged]: alertAcknowledgedData,
  [EVENT_TYPES.alertCleared]: alertClearedData,
  [EVENT_TYPES.alertEscalated]: alertEscalatedData,
  [EVENT_TYPES.clockRejected]: clockRejectedData,
} as const;
export type ContractType = keyof typeof DATA_SCHEMAS;

export const DEVICE_EVENT_TYPES: readonly ContractType[] = [
  EVENT_TYPES.eegChunk,
  EVENT_TYPES.heartRateSample,
];

export function isContractType(t: string): t is ContractType {
  return Object.hasOwn(DATA_SCHEMAS, t);
}

/** The CloudEvents 1.0 envelope fields Vigil requires (binary, structured and batched modes alike). */
export const envelopeSchema = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string().min(1).max(255),
    source: z.string().min(1).max(255),
    type: z.string().min(1).max(128),
    subject: z.string().min(1).max(64).optional(),
    time: rfc3339.optional(),
    datacontenttype: z.string().optional(),
    dataschema: z.string().optional(),
  })
  .passthrough();

/** The source every device must use: `/devices/{deviceId}`. */
export function deviceSource(deviceId: string): string {
  return `/devices/${deviceId}`;
}
