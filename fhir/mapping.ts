// Vigil rows -> FHIR R4 resources. Codings chosen (and why):
// - Heart rate: LOINC 8867-4 "Heart rate", UCUM `/min`, category vital-signs (the R4 vital-signs profile's
//   own choice), device = Device/<deviceId>.
// - Seizure probability: no LOINC or SNOMED code exists for a model's seizure probability, so a local
//   code system: https://vigil.health/fhir/CodeSystem/observation#seizure-probability, value as a UCUM
//   unitless quantity ("1", 0..1), interpretation A/N from the model's label (v3 ObservationInterpretation).
// - The EEG chunk a prediction came from: R4 Observation.derivedFrom may reference DocumentReference,
//   ImagingStudy, Media, QuestionnaireResponse, Observation or MolecularSequence. Media is for images,
//   video and audio; a waveform is what R4 models as an Observation with SampledData. So each stored chunk
//   is served as Observation/eeg-<seq> (local code eeg-chunk, one component per channel, valueSampledData
//   in µV), and predictions point at it with derivedFrom.
// - Alerts: Flag (status active until cleared, then inactive; period = raised..cleared), category from
//   the R4 flag-category code system (clinical for patient alerts, safety for technical ones), code from
//   the local alert-kind system, severity and lifecycle status as local extensions (Flag has no such element).
import { createHash } from 'node:crypto';
import type { Alert } from '../storage/alerts-store.ts';
import type { StoredEegChunk } from '../storage/telemetry-store.ts';

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const HEART_RATE_LOINC = '8867-4';
export const VIGIL_OBSERVATION_SYSTEM = 'https://vigil.health/fhir/CodeSystem/observation';
export const SEIZURE_PROBABILITY_CODE = 'seizure-probability';
export const EEG_CHUNK_CODE = 'eeg-chunk';
export const ALERT_KIND_SYSTEM = 'https://vigil.health/fhir/CodeSystem/alert-kind';
export const ALERT_ID_SYSTEM = 'https://vigil.health/fhir/alert-id';
export const SEVERITY_EXTENSION = 'https://vigil.health/fhir/StructureDefinition/alert-severity';
export const ALERT_STATUS_EXTENSION = 'https://vigil.health/fhir/StructureDefinition/alert-status';
const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const FLAG_CATEGORY = 'http://terminology.hl7.org/CodeSystem/flag-category';

export type Resource = { resourceType: string; id?: string; [k: string]: unknown };

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const iso = (ms: number) => new Date(ms).toISOString();

/** Vigil ids allow "_" and FHIR ids do not: such ids get a stable hashed FHIR id. */
export function fhirId(vigilId: string): string {
  return FHIR_ID.test(vigilId)
    ? vigilId
    : `h-${createHash('sha256').update(vigilId).digest('hex').slice(0, 40)}`;
}

export const patientRef = (patientId: string) => ({ reference: `Patient/${fhirId(patientId)}` });
export const deviceRef = (deviceId: string) => ({ reference: `Device/${fhirId(deviceId)}` });

export function patientResource(p: { id: string; name: string }): Resource {
  return {
    resourceType: 'Patient',
    id: fhirId(p.id),
    identifier: [{ system: 'https://vigil.health/fhir/patient-id', value: p.id }],
    active: true,
    name: [{ text: p.name }],
  };
}

export interface HeartRateRow {
  seq: number;
  patientId: string;
  deviceId: string;
  time: number;
  bpm: number;
}

export function heartRateObservation(r: HeartRateRow): Resource {
  return {
    resourceType: 'Observation',
    id: `hr-${r.seq}`,
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'vital-signs', display: 'Vital Signs' }] }],
    code: { coding: [{ system: LOINC, code: HEART_RATE_LOINC, display: 'Heart rate' }], text: 'Heart rate' },
    subject: patientRef(r.patientId),
    effectiveDateTime: iso(r.time),
    valueQuantity: { value: r.bpm, unit: 'beats/minute', system: UCUM, code: '/min' },
    device: deviceRef(r.deviceId),
  };
}

export interface PredictionRow {
  seq: number;
  patientId: string;
  windowStart: number;
  probability: number;
  label: string;
  modelVersion: string;
  chunkSeq: number | null;
  deviceId: string | null;
}

export function predictionObservation(r: PredictionRow): Resource {
  const seizure = r.label === 'seizure';
  return {
    resourceType: 'Observation',
    id: `pred-${r.seq}`,
    status: 'final',
    code: {
      coding: [
        {
          system: VIGIL_OBSERVATION_SYSTEM,
          code: SEIZURE_PROBABILITY_CODE,
          display: 'Seizure probability (EEG model)',
        },
      ],
      text: 'Seizure probability',
    },
    subject: patientRef(r.patientId),
    effectiveDateTime: iso(r.windowStart),
    valueQuantity: { value: r.probability, unit: 'probability', system: UCUM, code: '1' },
    interpretation: [
      {
        coding: [
          seizure
            ? { system: INTERPRETATION, code: 'A', display: 'Abnormal' }
            : { system: INTERPRETATION, code: 'N', display: 'Normal' },
        ],
        text: r.label,
      },
    ],
    method: { text: `Vigil seizure model ${r.modelVersion}` },
    ...(r.deviceId ? { device: deviceRef(r.deviceId) } : {}),
    ...(r.chunkSeq !== null
      ? { derivedFrom: [{ reference: `Observation/eeg-${r.chunkSeq}`, display: 'EEG chunk' }] }
      : {}),
  };
}

/** A stored chunk (storage/telemetry-store.ts), samples as float32 rows. */
export type EegChunkRow = Pick<
  StoredEegChunk,
  'seq' | 'patientId' | 'deviceId' | 'startTime' | 'sampleRateHz' | 'channels' | 'samples' | 'nSamples'
>;

/** SampledData.data: decimals separated by single spaces. float32 carries ~7 significant digits. */
function sampledDataString(row: Float32Array): string {
  const out = new Array<string>(row.length);
  for (let i = 0; i < row.length; i++) out[i] = String(Number(row[i]!.toPrecision(7)));
  return out.join(' ');
}

export function eegChunkObservation(r: EegChunkRow): Resource {
  return {
    resourceType: 'Observation',
    id: `eeg-${r.seq}`,
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'procedure', display: 'Procedure' }] }],
    code: {
      coding: [{ system: VIGIL_OBSERVATION_SYSTEM, code: EEG_CHUNK_CODE, display: 'EEG chunk' }],
      text: 'EEG',
    },
    subject: patientRef(r.patientId),
    effectivePeriod: {
      start: iso(r.startTime),
      end: iso(r.startTime + (r.nSamples / r.sampleRateHz) * 1000),
    },
    device: deviceRef(r.deviceId),
    component: r.channels.map((ch, c) => ({
      code: { coding: [{ system: VIGIL_OBSERVATION_SYSTEM, code: EEG_CHUNK_CODE }], text: ch },
      valueSampledData: {
        origin: { value: 0, unit: 'µV', system: UCUM, code: 'uV' },
        period: 1000 / r.sampleRateHz,
        dimensions: 1,
        data: sampledDataString(r.samples[c]!),
      },
    })),
  };
}

const KIND_DISPLAY: Record<string, string> = {
  seizure: 'Seizure',
  tachycardia: 'Tachycardia',
  bradycardia: 'Bradycardia',
  'device-silent': 'Device silent',
  'eeg-flatline': 'EEG flat line',
  'eeg-clipping': 'EEG clipping',
  'hr-implausible': 'Implausible heart-rate values',
};

export function flagResource(a: Alert): Resource {
  const technical = a.category === 'technical';
  return {
    resourceType: 'Flag',
    id: fhirId(a.alertId),
    extension: [
      { url: SEVERITY_EXTENSION, valueCode: a.severity },
      { url: ALERT_STATUS_EXTENSION, valueCode: a.status },
    ],
    identifier: [{ system: ALERT_ID_SYSTEM, value: a.alertId }],
    status: a.status === 'cleared' ? 'inactive' : 'active',
    category: [
      {
        coding: [
          technical
            ? { system: FLAG_CATEGORY, code: 'safety', display: 'Safety' }
            : { system: FLAG_CATEGORY, code: 'clinical', display: 'Clinical' },
        ],
      },
    ],
    code: {
      coding: [{ system: ALERT_KIND_SYSTEM, code: a.kind, display: KIND_DISPLAY[a.kind] ?? a.kind }],
      text: `${a.severity} ${KIND_DISPLAY[a.kind] ?? a.kind}`,
    },
    subject: patientRef(a.patientId),
    period: { start: iso(a.raisedAt), ...(a.clearedAt !== null ? { end: iso(a.clearedAt) } : {}) },
    author: { display: a.raisedBy },
  };
}

export type IssueCode = 'invalid' | 'not-found' | 'not-supported' | 'exception';

export function operationOutcome(code: IssueCode, diagnostics: string, expression?: string): Resource {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: code === 'exception' ? 'fatal' : 'error',
        code,
        diagnostics,
        ...(expression ? { expression: [expression] } : {}),
      },
    ],
  };
}
