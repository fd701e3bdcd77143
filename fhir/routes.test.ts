import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../eventing/contract.ts';
import { applyAlertEvent } from '../functions/recorder/alert-events.ts';
import { acknowledgeAlert, clearAlert } from '../storage/alert-lifecycle.ts';
import type { Db } from '../storage/db.ts';
import { addPatient } from '../storage/patients-store.ts';
import { testBackends } from '../storage/testing.ts';
import { fhirId } from './mapping.ts';
import { createFhirRoutes } from './routes.ts';
import { fhirErrors } from './schema/validate.ts';

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
type Json = Record<string, any>;

function float32(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  for (const [i, v] of values.entries()) b.writeFloatLE(v, i * 4);
  return b;
}

describe.each(testBackends)('FHIR export on $name', (backend) => {
  let db: Db;
  let app: Hono;
  beforeAll(async () => {
    db = await backend.open();
    await addPatient(db, { id: 'p1', name: 'Ada Lovelace' });
    await addPatient(db, { id: 'p_2', name: 'Alan Turing' });
    for (let i = 0; i < 5; i++)
      await db.run(
        `INSERT INTO heart_rate_samples (patient_id, device_id, time, bpm, source_name, event_source, event_id, idx)
         VALUES ('p1', 'watch-1', ?, ?, 'test', '/devices/watch-1', 'hr-1', ?)`,
        [T0 + i * 60_000, 70 + i, i],
      );
    await db.run(
      `INSERT INTO eeg_chunks (source, event_id, patient_id, device_id, start_time, sample_rate_hz, n_samples, channels, samples)
       VALUES ('/devices/eeg-1', 'chunk-1', 'p1', 'eeg-1', ?, 4, 4, 'FP1-F7,F7-T7', ?)`,
      [T0 + 90_000, float32([1.5, -2, 3.25, 0, 10, 20, 30, 40])],
    );
    await db.run(
      `INSERT INTO predictions (event_source, event_id, patient_id, chunk_event_id, window_start, chunk_probability, label,
       window_probabilities, model_version) VALUES ('/functions/seizure-detector', 'chunk-1.prediction', 'p1', 'chunk-1', ?, 0.93,
       'seizure', '[[0.93]]', 'v1')`,
      [T0 + 90_000],
    );
    const raise = (alertId: string, kind: string, at: number) =>
      applyAlertEvent(db, {
        specversion: '1.0',
        id: `${alertId}.raised`,
        source: '/functions/heart-rate-monitor',
        type: EVENT_TYPES.alertRaised,
        data: {
          alertId,
          patientId: 'p1',
          kind,
          category: kind === 'device-silent' ? 'technical' : 'patient',
          severity: 'major',
          evidence: {},
          raisedAt: new Date(at).toISOString(),
        },
      });
    await raise('hr-p1-tachycardia-1', 'tachycardia', T0);
    await raise('dev-w_1-device-silent-2', 'device-silent', T0 + 1000);
    await raise('seizure-p1-3', 'seizure', T0 + 2000);
    await acknowledgeAlert(db, { alertId: 'seizure-p1-3', by: 'dr', at: T0 + 3000 });
    await clearAlert(db, { alertId: 'hr-p1-tachycardia-1', by: 'dr', reason: 'resolved', at: T0 + 5000 });
    app = new Hono();
    app.route('/fhir', createFhirRoutes(db));
  });
  afterAll(async () => {
    await db.close();
  });

  async function get(path: string, status = 200): Promise<Json> {
    const r = await app.request(`http://vigil.test${path}`);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const body = (await r.json()) as Json;
    expect(fhirErrors(body)).toEqual([]);
    return body;
  }

  it('serves Patient resources, hashed ids for Vigil ids FHIR does not allow', async () => {
    expect(await get('/fhir/Patient/p1')).toMatchObject({
      resourceType: 'Patient',
      id: 'p1',
      name: [{ text: 'Ada Lovelace' }],
    });
    const hashed = fhirId('p_2');
    expect(hashed).toMatch(/^h-[0-9a-f]{40}$/);
    expect(await get(`/fhir/Patient/${hashed}`)).toMatchObject({
      id: hashed,
      identifier: [{ value: 'p_2' }],
    });
    const missing = await get('/fhir/Patient/nobody', 404);
    expect(missing).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
  });

  it('searches heart rate as LOINC 8867-4 vital signs in /min, paged with link next and total', async () => {
    const first = await get('/fhir/Observation?patient=p1&code=8867-4&_count=2');
    expect(first).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 5 });
    expect(first.entry).toHaveLength(2);
    const obs = first.entry[0].resource;
    expect(obs).toMatchObject({
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ code: 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: 'Patient/p1' },
      device: { reference: 'Device/watch-1' },
      effectiveDateTime: new Date(T0).toISOString(),
      valueQuantity: { value: 70, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
    });
    expect(first.entry[0].fullUrl).toBe(`http://vigil.test/fhir/Observation/${obs.id}`);
    const seen = first.entry.map((e: Json) => e.resource.valueQuantity.value);
    let next = first.link.find((l: Json) => l.relation === 'next')?.url as string | undefined;
    while (next) {
      const page = await get(next.replace('http://vigil.test', ''));
      seen.push(...page.entry.map((e: Json) => e.resource.valueQuantity.value));
      next = page.link.find((l: Json) => l.relation === 'next')?.url;
    }
    expect(seen).toEqual([70, 71, 72, 73, 74]);
    const read = await get(`/fhir/Observation/${obs.id}`);
    expect(read).toEqual(obs);
  });

  it('filters by date with ge/le prefixes and by code system|code', async () => {
    const b = await get(
      `/fhir/Observation?patient=Patient/p1&code=http://loinc.org|8867-4&date=ge${new Date(T0 + 60_000).toISOString()}&date=le${new Date(T0 + 180_000).toISOString()}`,
    );
    expect(b.total).toBe(3);
    expect(b.entry.map((e: Json) => e.resource.valueQuantity.value)).toEqual([71, 72, 73]);
    expect((await get('/fhir/Observation?patient=p1&date=2024-05-02')).total).toBe(0);
    expect((await get('/fhir/Observation?patient=p1&date=2024-05-01&code=8867-4')).total).toBe(5);
    expect((await get('/fhir/Observation?patient=p1&code=http://example.org|8867-4')).total).toBe(0);
  });

  it('maps seizure predictions with derivedFrom the EEG chunk as a SampledData Observation', async () => {
    const b = await get('/fhir/Observation?patient=p1&code=seizure-probability');
    expect(b.total).toBe(1);
    const pred = b.entry[0].resource;
    expect(pred).toMatchObject({
      code: {
        coding: [{ system: 'https://vigil.health/fhir/CodeSystem/observation', code: 'seizure-probability' }],
      },
      valueQuantity: { value: 0.93, system: 'http://unitsofmeasure.org', code: '1' },
      interpretation: [{ coding: [{ code: 'A' }] }],
      device: { reference: 'Device/eeg-1' },
    });
    const ref = pred.derivedFrom[0].reference as string;
    expect(ref).toMatch(/^Observation\/eeg-\d+$/);
    const chunk = await get(`/fhir/${ref}`);
    expect(chunk.component.map((x: Json) => [x.code.text, x.valueSampledData.data])).toEqual([
      ['FP1-F7', '1.5 -2 3.25 0'],
      ['F7-T7', '10 20 30 40'],
    ]);
    expect(chunk.component[0].valueSampledData).toMatchObject({
      period: 250,
      dimensions: 1,
      origin: { code: 'uV' },
    });
    // Without a code, both kinds merge in time order: the prediction (T0+90 s) sits between samples.
    const all = await get('/fhir/Observation?patient=p1&_count=100');
    expect(all.total).toBe(6);
    expect(all.entry.map((e: Json) => e.resource.id.split('-')[0])).toEqual([
      'hr',
      'hr',
      'pred',
      'hr',
      'hr',
      'hr',
    ]);
  });

  it('exports alerts as Flags', async () => {
    const b = await get('/fhir/Flag?patient=p1&_count=2');
    expect(b.total).toBe(3);
    expect(b.entry).toHaveLength(2);
    const rest = await get(
      b.link.find((l: Json) => l.relation === 'next').url.replace('http://vigil.test', ''),
    );
    const flags = [...b.entry, ...rest.entry].map((e: Json) => e.resource);
    const byKind = Object.fromEntries(flags.map((f: Json) => [f.code.coding[0].code, f]));
    expect(byKind.tachycardia).toMatchObject({
      status: 'inactive',
      category: [{ coding: [{ code: 'clinical' }] }],
      period: { start: new Date(T0).toISOString(), end: new Date(T0 + 5000).toISOString() },
      subject: { reference: 'Patient/p1' },
    });
    expect(byKind['device-silent']).toMatchObject({
      status: 'active',
      category: [{ coding: [{ code: 'safety' }] }],
    });
    expect(byKind['device-silent'].id).toMatch(/^h-/); // "_" is not allowed in FHIR ids
    expect(byKind.seizure.extension).toContainEqual({
      url: 'https://vigil.health/fhir/StructureDefinition/alert-status',
      valueCode: 'acknowledged',
    });
  });

  it('answers OperationOutcome for bad searches', async () => {
    expect(await get('/fhir/Observation?code=8867-4', 400)).toMatchObject({
      issue: [{ severity: 'error', code: 'invalid', expression: ['patient'] }],
    });
    expect((await get('/fhir/Observation?patient=p1&_count=zero', 400)).issue[0].expression).toEqual([
      '_count',
    ]);
    expect((await get('/fhir/Observation?patient=p1&date=yesterday', 400)).issue[0].expression).toEqual([
      'date',
    ]);
    expect((await get('/fhir/Observation?patient=p1&date=ap2024-05-01', 400)).issue[0].code).toBe(
      'not-supported',
    );
    expect((await get('/fhir/Observation?patient=p1&_cursor=xyz', 400)).issue[0].expression).toEqual([
      '_cursor',
    ]);
    expect((await get('/fhir/Flag?patient=p1&_cursor=xyz', 400)).issue[0].expression).toEqual(['_cursor']);
    await get('/fhir/Observation/hr-999999', 404);
    await get('/fhir/Encounter/1', 404);
  });

  it('is checked against the schema pieces strictly enough to catch a wrong shape', () => {
    expect(
      fhirErrors({
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'x' },
        valueQuantity: { value: '70' },
      }),
    ).not.toEqual([]);
    expect(
      fhirErrors({
        resourceType: 'Flag',
        status: 'open',
        code: { text: 'x' },
        subject: { reference: 'Patient/p1' },
      }),
    ).not.toEqual([]);
    expect(
      fhirErrors({
        resourceType: 'Bundle',
        type: 'searchset',
        entry: [{ resource: { resourceType: 'Encounter' } }],
      }),
    ).not.toEqual([]);
  });
});
