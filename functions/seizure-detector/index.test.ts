import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertClearedData,
  alertRaisedData,
  EVENT_TYPES,
  eegPredictionData,
} from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { FunctionContext } from '../../eventing/subscriber.ts';
import { validateContractEvent } from '../../eventing/validate-event.ts';
import { BONN_SAMPLE_RATE_HZ, parseBonnText } from '../../recordings/bonn.ts';
import { getAlert, listAlerts } from '../../storage/alert-queries.ts';
import type { Db } from '../../storage/db.ts';
import { readState, writeState } from '../../storage/function-state.ts';
import { testBackends } from '../../storage/testing.ts';
import { evaluateSignals } from '../../training/evaluate.ts';
import { applyAlertEvent } from '../recorder/alert-events.ts';
import { decodeBaseline } from './adaptation.ts';
import { detectChunk } from './detect.ts';
import {
  createSeizureDetector,
  type DetectorState,
  FUNCTION_NAME,
  seizureAlertId,
  seizureDetector,
} from './index.ts';
import { loadSeizureModel } from './model.ts';
import { recordingChunks } from './preprocess.ts';

const demo = (rel: string) => fileURLToPath(new URL(`../../data/demo/eeg/bonn/${rel}`, import.meta.url));
const load = (rel: string) => parseBonnText(readFileSync(demo(rel), 'latin1'), rel);
const T0 = Date.parse('2024-05-01T10:00:00.000Z');

/** A recording as the 10-s chunks a device sends, starting at t0 (chunk i starts i·10 s later). */
function chunkEvents(
  samples: Float64Array,
  patientId: string,
  t0: number,
  tag: string,
  deviceId = 'dev-1',
): VigilEvent[] {
  return recordingChunks(samples, BONN_SAMPLE_RATE_HZ).map((part, i) => ({
    specversion: '1.0',
    id: `${tag}-${i}`,
    source: `/devices/${deviceId}`,
    type: EVENT_TYPES.eegChunk,
    subject: patientId,
    time: new Date(t0 + i * 10_000).toISOString(),
    datacontenttype: 'application/json',
    data: {
      patientId,
      deviceId,
      startTime: new Date(t0 + i * 10_000).toISOString(),
      sampleRateHz: BONN_SAMPLE_RATE_HZ,
      channels: ['T5'],
      unit: 'uV',
      samples: [Array.from(part)],
    },
  }));
}

/** The same chunk as a device would send it again, with another id and start time. */
const resentAt = (ev: VigilEvent, id: string, startMs: number): VigilEvent => ({
  ...ev,
  id,
  data: { ...(ev.data as object), startTime: new Date(startMs).toISOString() },
});

describe.each(testBackends)('seizure-detector on $name', (backend) => {
  let db: Db;
  let ctx: FunctionContext;
  beforeAll(async () => {
    db = await backend.open();
    ctx = { db, now: () => T0 + 60_000 };
  });
  afterAll(() => db.close());

  const deliver = async (ev: VigilEvent) => {
    const replies = await seizureDetector.handle(ev, ctx);
    for (const r of replies) await applyAlertEvent(db, r);
    return replies;
  };

  it('a seizure segment: a prediction per chunk and exactly one alert, even when a chunk is delivered twice', async () => {
    const chunks = chunkEvents(load('setE/S046.txt'), 'pat-seizure', T0, 'sz');
    expect(chunks).toHaveLength(3);
    const first = await deliver(chunks[0]!);
    const again = await deliver(chunks[0]!);
    const rest = [...(await deliver(chunks[1]!)), ...(await deliver(chunks[2]!))];
    const all = [...first, ...again, ...rest];

    const predictions = all.filter((e) => e.type === EVENT_TYPES.eegPrediction);
    expect(predictions).toHaveLength(4);
    const p = eegPredictionData.parse(predictions[0]!.data);
    expect(predictions[0]).toMatchObject({
      id: 'sz-0.prediction',
      source: '/functions/seizure-detector',
      subject: 'pat-seizure',
    });
    expect(p.windowProbabilities).toHaveLength(10);
    expect(p.windowProbabilities[0]).toHaveLength(1);
    expect(p.label).toBe('seizure');
    expect(p.chunkEventId).toBe('sz-0');

    const raised = all.filter((e) => e.type === EVENT_TYPES.alertRaised);
    // The redelivery re-emits the very same event (same id) so a lost reply is not a lost alert.
    expect(new Set(raised.map((e) => e.id)).size).toBe(1);
    expect(again.filter((e) => e.type === EVENT_TYPES.alertRaised)).toEqual(
      first.filter((e) => e.type === EVENT_TYPES.alertRaised),
    );
    const data = alertRaisedData.parse(raised[0]!.data);
    expect(data).toMatchObject({
      kind: 'seizure',
      category: 'patient',
      severity: 'critical',
      patientId: 'pat-seizure',
    });
    expect(data.alertId).toMatch(/^seizure-pat-seizure-dev-1-\d+$/);
    expect(raised[0]!.id).toBe(`${data.alertId}.raised`);
    expect(data.raisedAt).toBe(new Date(T0 + 60_000).toISOString());
    expect(Array.isArray(data.evidence.windows)).toBe(true);

    const stored = await listAlerts(db, { patientId: 'pat-seizure', limit: 100 });
    expect(stored.items.filter((a) => a.kind === 'seizure')).toHaveLength(1);
  });

  it('the episode ends after enough negative windows: one alert.cleared by seizure-detector', async () => {
    const sz = chunkEvents(load('setE/S046.txt'), 'pat-end', T0, 'e-sz');
    const normal = chunkEvents(load('setA/Z004.txt'), 'pat-end', T0 + 30_000, 'e-n');
    const out: VigilEvent[] = [];
    for (const ev of [...sz, ...normal]) out.push(...(await deliver(ev)));
    const raised = out.filter((e) => e.type === EVENT_TYPES.alertRaised);
    const cleared = out.filter((e) => e.type === EVENT_TYPES.alertCleared);
    expect(raised).toHaveLength(1);
    expect(cleared).toHaveLength(1);
    const c = alertClearedData.parse(cleared[0]!.data);
    expect(c.alertId).toBe(alertRaisedData.parse(raised[0]!.data).alertId);
    expect(c.by).toBe(FUNCTION_NAME);
    expect(await getAlert(db, c.alertId)).toMatchObject({ status: 'raised', conditionActive: false });
    const st = await readState<DetectorState>(db, FUNCTION_NAME, 'pat-end/dev-1');
    expect(st?.value.episode.episode).toBeNull();
  });

  it('normal EEG raises nothing; concurrent replicas on one patient keep one consistent state', async () => {
    const normal = chunkEvents(load('setA/Z004.txt'), 'pat-normal', T0, 'n');
    const replies = (await Promise.all(normal.map((ev) => seizureDetector.handle(ev, ctx)))).flat();
    expect(replies.filter((e) => e.type === EVENT_TYPES.eegPrediction)).toHaveLength(3);
    expect(replies.filter((e) => e.type === EVENT_TYPES.alertRaised)).toHaveLength(0);

    const sz = chunkEvents(load('setE/S046.txt'), 'pat-race', T0, 'r');
    const raced = (await Promise.all([...sz, ...sz].map((ev) => seizureDetector.handle(ev, ctx)))).flat();
    const ids = new Set(raced.filter((e) => e.type === EVENT_TYPES.alertRaised).map((e) => e.id));
    expect(ids.size).toBe(1);
    const st = await readState<DetectorState>(db, FUNCTION_NAME, 'pat-race/dev-1');
    expect(st?.value.episode.lastWindowStartMs).toBe(T0 + 20_000 + 2_000);
    expect(seizureAlertId('p', 5)).toBe('seizure-p-5');
  });

  it('scores each chunk with the context stored by whichever replica saw the chunk before', async () => {
    const samples = load('setE/S046.txt');
    const chunks = chunkEvents(samples, 'pat-ctx', T0, 'ctx');
    const replicas = [createSeizureDetector(), createSeizureDetector()];
    const predictions: number[][] = [];
    for (const [i, ev] of chunks.entries()) {
      const replies = await replicas[i % 2]!.handle(ev, ctx);
      const p = eegPredictionData.parse(replies.find((e) => e.type === EVENT_TYPES.eegPrediction)!.data);
      predictions.push(...p.windowProbabilities);
    }
    // the same as one process scoring the recording chunk after chunk (vigil model evaluate)
    const model = await loadSeizureModel();
    const inMemory = await evaluateSignals(model, [samples], BONN_SAMPLE_RATE_HZ);
    expect(predictions).toEqual(inMemory.windows.map((w) => w.channelProbabilities));

    const before = (await readState<DetectorState>(db, FUNCTION_NAME, 'pat-ctx/dev-1'))!.value.context!;
    expect(before.channels).toEqual(['T5']);
    expect(before.history.windows).toBe(7);
    // a late redelivery of the first chunk is scored without context and leaves the stored one alone
    const late = await seizureDetector.handle(chunks[0]!, ctx);
    const lateP = eegPredictionData.parse(late.find((e) => e.type === EVENT_TYPES.eegPrediction)!.data);
    const alone = await detectChunk(
      model,
      (chunks[0]!.data as { samples: number[][] }).samples,
      BONN_SAMPLE_RATE_HZ,
    );
    expect(lateP.windowProbabilities).toEqual(alone.windowProbabilities);
    expect((await readState<DetectorState>(db, FUNCTION_NAME, 'pat-ctx/dev-1'))!.value.context).toEqual(
      before,
    );
  });

  it('starts a new context after a gap (keeping the patient baseline) or when the montage changes', async () => {
    const model = await loadSeizureModel();
    const chunks = chunkEvents(load('setE/S046.txt'), 'pat-reset', T0, 'rs');
    const samplesOf = (ev: VigilEvent) => (ev.data as { samples: number[][] }).samples;
    const alone = async (ev: VigilEvent) =>
      (await detectChunk(model, samplesOf(ev), BONN_SAMPLE_RATE_HZ)).windowProbabilities;
    // the same chunk as a device would send it again: another id, start time and maybe montage
    const resent = (ev: VigilEvent, id: string, startMs: number, more: object = {}): VigilEvent => ({
      ...ev,
      id,
      data: { ...(ev.data as object), startTime: new Date(startMs).toISOString(), ...more },
    });
    const score = async (ev: VigilEvent) =>
      eegPredictionData.parse(
        (await seizureDetector.handle(ev, ctx)).find((e) => e.type === EVENT_TYPES.eegPrediction)!.data,
      ).windowProbabilities;
    await seizureDetector.handle(chunks[0]!, ctx);
    const baseline = decodeBaseline(
      (await readState<DetectorState>(db, FUNCTION_NAME, 'pat-reset/dev-1'))!.value.context!.baseline!,
    );
    expect(baseline.windows).toBe(10);
    // after a gap: no context windows, but the baseline of the patient's earlier EEG
    const afterGap = await detectChunk(model, samplesOf(chunks[1]!), BONN_SAMPLE_RATE_HZ, {
      windows: 0,
      nChannels: 1,
      features: new Float32Array(0),
      baseline,
    });
    const gapScores = await score(resent(chunks[1]!, 'rs-gap', T0 + 60_000));
    expect(gapScores).toEqual(afterGap.windowProbabilities);
    expect(gapScores).not.toEqual(await alone(chunks[1]!));
    const t3 = { channels: ['T3'] };
    expect(await score(resent(chunks[1]!, 'rs-montage', T0 + 70_000, t3))).toEqual(await alone(chunks[1]!));
    // and the next chunk of that montage continues from it
    expect(await score(resent(chunks[2]!, 'rs-next', T0 + 80_000, t3))).not.toEqual(await alone(chunks[2]!));
  });

  it('scores a chunk without context windows when the stored history has another shape (a model upgrade)', async () => {
    const model = await loadSeizureModel();
    const chunks = chunkEvents(load('setE/S046.txt'), 'pat-upgrade', T0, 'up');
    await seizureDetector.handle(chunks[0]!, ctx);
    const stored = (await readState<DetectorState>(db, FUNCTION_NAME, 'pat-upgrade/dev-1'))!;
    const old = { ...stored.value.context!, history: { ...stored.value.context!.history, windows: 3 } };
    expect(
      await writeState(
        db,
        FUNCTION_NAME,
        'pat-upgrade/dev-1',
        { ...stored.value, context: old },
        stored.version,
      ),
    ).toBe(true);
    const replies = await seizureDetector.handle(chunks[1]!, ctx);
    const p = eegPredictionData.parse(replies.find((e) => e.type === EVENT_TYPES.eegPrediction)!.data);
    const samples = (chunks[1]!.data as { samples: number[][] }).samples;
    const noWindows = {
      windows: 0,
      nChannels: 1,
      features: new Float32Array(0),
      baseline: decodeBaseline(old.baseline!),
    };
    expect(p.windowProbabilities).toEqual(
      (await detectChunk(model, samples, BONN_SAMPLE_RATE_HZ, noWindows)).windowProbabilities,
    );
    // and the context it stores now is this model's again
    expect(
      (await readState<DetectorState>(db, FUNCTION_NAME, 'pat-upgrade/dev-1'))!.value.context!.history
        .windows,
    ).toBe(7);
    // a stored baseline of another shape is dropped too: a first chunk
    const now = (await readState<DetectorState>(db, FUNCTION_NAME, 'pat-upgrade/dev-1'))!;
    const bad = { ...now.value.context!, baseline: { ...now.value.context!.baseline!, nChannels: 2 } };
    expect(
      await writeState(db, FUNCTION_NAME, 'pat-upgrade/dev-1', { ...now.value, context: bad }, now.version),
    ).toBe(true);
    const again = resentAt(chunks[2]!, 'up-again', T0 + 120_000);
    const q = eegPredictionData.parse(
      (await seizureDetector.handle(again, ctx)).find((e) => e.type === EVENT_TYPES.eegPrediction)!.data,
    );
    expect(q.windowProbabilities).toEqual(
      (await detectChunk(model, (chunks[2]!.data as { samples: number[][] }).samples, BONN_SAMPLE_RATE_HZ))
        .windowProbabilities,
    );
  });

  it("keeps the episode per device: another device's later EEG does not hide this one's seizure", async () => {
    const [later] = chunkEvents(load('setA/Z004.txt'), 'pat-two', T0 + 40_000, 'two-n', 'dev-2');
    await deliver(later!);
    const out: VigilEvent[] = [];
    for (const ev of chunkEvents(load('setE/S046.txt'), 'pat-two', T0, 'two-sz'))
      out.push(...(await deliver(ev)));
    expect(out.filter((e) => e.type === EVENT_TYPES.alertRaised)).toHaveLength(1);
  });

  it('a chunk dated in the future is scored but never moves the episode state', async () => {
    const [future] = chunkEvents(load('setA/Z004.txt'), 'pat-2099', Date.parse('2099-01-01T00:00:00Z'), 'f');
    const replies = await deliver(future!);
    expect(replies.map((e) => e.type)).toEqual([EVENT_TYPES.eegPrediction]);
    expect(await readState(db, FUNCTION_NAME, 'pat-2099/dev-1')).toBeUndefined();
    const out: VigilEvent[] = [];
    for (const ev of chunkEvents(load('setE/S046.txt'), 'pat-2099', T0, 'f-sz'))
      out.push(...(await deliver(ev)));
    expect(out.filter((e) => e.type === EVENT_TYPES.alertRaised)).toHaveLength(1);
  });

  it('leaves a chunk that breaks the contract to the door (a 422 naming the field) and ignores other types', async () => {
    const [ev] = chunkEvents(load('setA/Z004.txt'), 'pat-bad', T0, 'bad');
    expect(() => validateContractEvent({ ...ev!, data: { ...(ev!.data as object), unit: 'mV' } })).toThrow(
      expect.objectContaining({
        status: 422,
        errors: expect.arrayContaining([expect.objectContaining({ pointer: '/data/unit' })]),
      }),
    );
    expect(await seizureDetector.handle({ ...ev!, type: EVENT_TYPES.heartRateSample }, ctx)).toEqual([]);
  });

  it("scores one stream's chunks in delivery order when batches of them run at once, and keeps streams apart", async () => {
    const rec = load('setE/S046.txt');
    const PER_CHUNK = 174; // one second at 173.61 Hz
    const oneSecondChunks = (patientId: string, deviceId: string, tag: string): VigilEvent[] =>
      Array.from({ length: 20 }, (_, i) => ({
        specversion: '1.0',
        id: `${tag}-${i}`,
        source: `/devices/${deviceId}`,
        type: EVENT_TYPES.eegChunk,
        subject: patientId,
        data: {
          patientId,
          deviceId,
          startTime: new Date(T0 + i * 1000).toISOString(),
          sampleRateHz: BONN_SAMPLE_RATE_HZ,
          channels: ['T5'],
          unit: 'uV',
          samples: [Float32Array.from(rec.subarray(i * PER_CHUNK, (i + 1) * PER_CHUNK))],
        },
      }));
    const probabilities = (replies: VigilEvent[], deviceId: string) =>
      replies
        .filter((r) => r.type === EVENT_TYPES.eegPrediction)
        .map((r) => r.data as { deviceId: string; chunkEventId: string; windowProbabilities: number[][] })
        .filter((d) => d.deviceId === deviceId)
        .sort((a, b) => Number(a.chunkEventId.split('-').at(-1)) - Number(b.chunkEventId.split('-').at(-1)))
        .map((d) => d.windowProbabilities);
    const alertKinds = (replies: VigilEvent[]) =>
      replies.filter((r) => r.type !== EVENT_TYPES.eegPrediction).map((r) => r.type);

    // one by one, as a device streaming in real time is delivered
    const sequential: VigilEvent[] = [];
    for (const ev of oneSecondChunks('pat-seq', 'dev-1', 'seq'))
      sequential.push(...(await seizureDetector.handle(ev, ctx)));
    expect(probabilities(sequential, 'dev-1')).toHaveLength(20);
    expect(alertKinds(sequential)).toContain(EVENT_TYPES.alertRaised);

    // a burst (a device catching up after a dropout) of two devices, in batches of 4 delivered at once
    const a = oneSecondChunks('pat-burst', 'dev-1', 'a');
    const b = oneSecondChunks('pat-burst', 'dev-2', 'b');
    const interleaved = a.flatMap((ev, i) => [ev, b[i]!]);
    const batches = Array.from({ length: 10 }, (_, k) => interleaved.slice(k * 4, k * 4 + 4));
    const burst = (
      await Promise.all(batches.map((batch) => seizureDetector.handleBatch!(batch, ctx)))
    ).flat();
    expect(probabilities(burst, 'dev-1')).toEqual(probabilities(sequential, 'dev-1'));
    expect(probabilities(burst, 'dev-2')).toEqual(probabilities(sequential, 'dev-1'));
    expect(alertKinds(burst)).toEqual([...alertKinds(sequential), ...alertKinds(sequential)]);
  });
});
