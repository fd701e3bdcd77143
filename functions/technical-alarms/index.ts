// technical-alarms: problems with the equipment, not the patient, as alert.raised/alert.cleared with
// category `technical`.
// - eeg.chunk: flat-line or rail clipping (signal-quality.ts). Raised when the bad signal has lasted at
//   least EEG_RAISE_SECONDS of recording (chunk time, so a 1-s chunk alone does not alarm), once per
//   episode; cleared after EEG_CLEAR_SECONDS of good signal. One episode tracker per device.
// - technical.check (PingSource every minute / the embedded runtime's timer): a device that has sent
//   before and has been silent for VIGIL_DEVICE_SILENT_SECONDS (default 60) raises device-silent once;
//   it is cleared when the device is heard again, retired or revoked (and never raised for those). The alert id carries the device's
//   last_seen_at, so concurrent checks on several replicas name the same alert.
// - device.clock-rejected (ingest refused data stamped too far in the future): CLOCK_REJECTIONS refusals
//   from one device within CLOCK_WINDOW_SECONDS raise device-clock-wrong (monitoring through that device
//   is lost); cleared by a technical check once the device has gone CLOCK_WINDOW_SECONDS without one.
// - Every technical check also escalates high-priority alarms left unacknowledged (escalation.ts): the
//   alarm system's periodic checks live in this one function.

import { getConfig } from '../../config/env.ts';
import { alertClearedEvent, alertRaisedEvent } from '../../eventing/alert-events.ts';
import {
  type AlertCleared,
  type AlertRaised,
  type ClockRejected,
  type EegChunk,
  EVENT_TYPES,
} from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { FunctionContext, VigilFunction } from '../../eventing/subscriber.ts';
import { readState, updateState, writeState } from '../../storage/function-state.ts';
import { kindPriority } from '../alarm-priority.ts';
import { escalations } from './escalation.ts';
import {
  assessChunk,
  type ChannelFinding,
  type ChunkQuality,
  clipRunThreshold,
  FLAT_PEAK_TO_PEAK_UV,
} from './signal-quality.ts';

export const TECHNICAL_ALARMS = 'technical-alarms';
export const TECHNICAL_ALARMS_SOURCE = `/functions/${TECHNICAL_ALARMS}`;
/** The cluster's PingSource cannot set its CloudEvent type; its ticks count as technical checks too. */
export const PING_SOURCE_TYPE = 'dev.knative.sources.ping';

export const EEG_RAISE_SECONDS = 2;
export const EEG_CLEAR_SECONDS = 5;
/** Chunks further apart than this do not continue a run (nothing is known about the gap). */
export const EEG_MAX_GAP_SECONDS = 10;
export const DEFAULT_DEVICE_SILENT_SECONDS = 60;
/** One refusal can be a glitch; three in five minutes is a clock that is wrong. */
export const CLOCK_REJECTIONS = 3;
export const CLOCK_WINDOW_SECONDS = 300;

type EegKind = 'eeg-flatline' | 'eeg-clipping';

interface Span {
  start: number;
  end: number;
}

interface EegEpisode {
  pending: Span | null;
  open: { alertId: string; start: number; good: Span | null } | null;
}

interface Recent {
  key: string;
  replies: VigilEvent[];
}

export interface EegDeviceState {
  lastStart: number | null;
  'eeg-flatline': EegEpisode;
  'eeg-clipping': EegEpisode;
  recent: Recent[];
}

export interface SilentState {
  open: Record<string, { alertId: string; patientId: string; lastSeenAt: number }>;
  recent: Recent[];
}

export interface ClockState {
  devices: Record<
    string,
    { patientId: string; rejections: number[]; open: { alertId: string; since: number } | null }
  >;
  recent: Recent[];
}

const RECENT_INPUTS = 16;
const iso = (ms: number) => new Date(ms).toISOString();

function rememberReplies(recent: Recent[], key: string, replies: VigilEvent[]): Recent[] {
  return replies.length ? [...recent, { key, replies }].slice(-RECENT_INPUTS) : recent;
}

const raisedEvent = (a: AlertRaised): VigilEvent => alertRaisedEvent(TECHNICAL_ALARMS_SOURCE, a);
const clearedEvent = (c: AlertCleared): VigilEvent => alertClearedEvent(TECHNICAL_ALARMS_SOURCE, c);

function extend(span: Span | null, chunk: Span): Span {
  return span && chunk.start - span.end <= EEG_MAX_GAP_SECONDS * 1000
    ? { start: span.start, end: chunk.end }
    : { ...chunk };
}

/** One chunk through one kind's episode tracker (pure). */
export function stepEeg(
  ep: EegEpisode,
  chunk: Span,
  bad: ChannelFinding[],
  kind: EegKind,
  d: Pick<EegChunk, 'patientId' | 'deviceId' | 'sampleRateHz'>,
  chunkEventId: string,
): { episode: EegEpisode; reply?: VigilEvent } {
  if (ep.open) {
    if (bad.length) return { episode: { pending: null, open: { ...ep.open, good: null } } };
    const good = extend(ep.open.good, chunk);
    if (good.end - good.start < EEG_CLEAR_SECONDS * 1000)
      return { episode: { pending: null, open: { ...ep.open, good } } };
    return {
      episode: { pending: null, open: null },
      reply: clearedEvent({
        alertId: ep.open.alertId,
        patientId: d.patientId,
        kind,
        by: TECHNICAL_ALARMS,
        at: iso(chunk.end),
        reason: `EEG signal good again since ${iso(good.start)}`,
      }),
    };
  }
  if (!bad.length) return { episode: { pending: null, open: null } };
  const pending = extend(ep.pending, chunk);
  if (pending.end - pending.start < EEG_RAISE_SECONDS * 1000) return { episode: { pending, open: null } };
  const alertId = `eeg-${d.deviceId}-${kind}-${pending.start}`;
  const evidence: Record<string, unknown> = {
    deviceId: d.deviceId,
    chunkEventId,
    since: iso(pending.start),
    channels: bad.map((f) =>
      kind === 'eeg-flatline'
        ? { channel: f.channel, peakToPeakUv: f.peakToPeakUv }
        : { channel: f.channel, railValueUv: f.railValueUv, runSamples: f.railRunSamples },
    ),
    threshold:
      kind === 'eeg-flatline'
        ? { peakToPeakBelowUv: FLAT_PEAK_TO_PEAK_UV }
        : { runSamplesAtLeast: clipRunThreshold(d.sampleRateHz) },
  };
  return {
    episode: { pending: null, open: { alertId, start: pending.start, good: null } },
    reply: raisedEvent({
      alertId,
      patientId: d.patientId,
      kind,
      category: 'technical',
      severity: 'minor',
      priority: kindPriority(kind),
      evidence,
      raisedAt: iso(chunk.end),
    }),
  };
}

function emptyEeg(): EegDeviceState {
  const ep = (): EegEpisode => ({ pending: null, open: null });
  return { lastStart: null, 'eeg-flatline': ep(), 'eeg-clipping': ep(), recent: [] };
}

interface AssessedChunk {
  key: string;
  eventId: string;
  d: EegChunk;
  span: Span;
  quality: ChunkQuality;
}

function assessedChunk(event: VigilEvent): AssessedChunk {
  // Validated at the door it came through (eventing/validate-event.ts): samples are float32 rows.
  const d = event.data as EegChunk;
  const start = Date.parse(d.startTime);
  const n = d.samples[0]!.length;
  return {
    key: `${event.source} ${event.id}`,
    eventId: event.id,
    d,
    span: { start, end: start + Math.round((n / d.sampleRateHz) * 1000) },
    quality: assessChunk(d.channels, d.samples, d.sampleRateHz),
  };
}

const idle = (st: EegDeviceState) =>
  !st['eeg-flatline'].pending &&
  !st['eeg-flatline'].open &&
  !st['eeg-clipping'].pending &&
  !st['eeg-clipping'].open;

/**
 * Pure: one device's chunks, in order, through both trackers. `changed` is false when the signal was good
 * throughout and nothing is pending or open: the common case then costs a read and no write.
 */
function stepDevice(
  cur: EegDeviceState | undefined,
  chunks: AssessedChunk[],
): { value: EegDeviceState; result: VigilEvent[]; changed: boolean } {
  let st = cur ?? emptyEeg();
  let changed = false;
  const out: VigilEvent[] = [];
  for (const c of chunks) {
    const seen = st.recent.find((r) => r.key === c.key);
    if (seen) {
      out.push(...seen.replies);
      continue;
    }
    if (st.lastStart !== null && c.span.start <= st.lastStart) continue; // duplicate or late
    const flat = stepEeg(st['eeg-flatline'], c.span, c.quality.flat, 'eeg-flatline', c.d, c.eventId);
    const clip = stepEeg(st['eeg-clipping'], c.span, c.quality.clipped, 'eeg-clipping', c.d, c.eventId);
    const replies = [flat.reply, clip.reply].filter((r): r is VigilEvent => r !== undefined);
    const next: EegDeviceState = {
      lastStart: c.span.start,
      'eeg-flatline': flat.episode,
      'eeg-clipping': clip.episode,
      recent: rememberReplies(st.recent, c.key, replies),
    };
    if (replies.length || !idle(st) || !idle(next)) changed = true;
    out.push(...replies);
    st = next;
  }
  return { value: st, result: out, changed };
}

/** Another replica wrote a device's state between our read and our write. */
class StateConflict extends Error {}

/** All devices of a batch in one transaction (one commit); on a version conflict, device by device with retries. */
async function handleChunks(chunks: AssessedChunk[], ctx: FunctionContext): Promise<VigilEvent[]> {
  const byDevice = new Map<string, AssessedChunk[]>();
  for (const c of chunks) byDevice.set(c.d.deviceId, [...(byDevice.get(c.d.deviceId) ?? []), c]);
  try {
    return await ctx.db.tx(async (tx) => {
      const replies: VigilEvent[] = [];
      for (const [deviceId, list] of byDevice) {
        const cur = await readState<EegDeviceState>(tx, TECHNICAL_ALARMS, `eeg/${deviceId}`);
        const { value, result, changed } = stepDevice(cur?.value, list);
        if (changed && !(await writeState(tx, TECHNICAL_ALARMS, `eeg/${deviceId}`, value, cur?.version ?? 0)))
          throw new StateConflict();
        replies.push(...result);
      }
      return replies;
    });
  } catch (err) {
    if (!(err instanceof StateConflict)) throw err;
    const replies: VigilEvent[] = [];
    for (const [deviceId, list] of byDevice)
      replies.push(
        ...(await updateState<EegDeviceState, VigilEvent[]>(
          ctx.db,
          TECHNICAL_ALARMS,
          `eeg/${deviceId}`,
          (cur) => stepDevice(cur, list),
        )),
      );
    return replies;
  }
}

interface DeviceRow {
  id: string;
  patient_id: string;
  last_seen_at: number | string | null;
  revoked_at: number | string | null;
  retired_at: number | string | null;
}

/** Why a device is no longer expected to send, or undefined while it is in service. */
const outOfService = (dv: DeviceRow | undefined): string | undefined =>
  !dv
    ? 'device removed'
    : dv.revoked_at !== null
      ? 'device revoked'
      : dv.retired_at !== null
        ? 'device retired'
        : undefined;

async function handleCheck(
  event: VigilEvent,
  ctx: FunctionContext,
  silentSeconds: number,
): Promise<VigilEvent[]> {
  const now = ctx.now();
  const devices = await ctx.db.all<DeviceRow>(
    'SELECT id, patient_id, last_seen_at, revoked_at, retired_at FROM devices WHERE last_seen_at IS NOT NULL',
  );
  const key = `${event.source} ${event.id}`;
  return updateState<SilentState, VigilEvent[]>(ctx.db, TECHNICAL_ALARMS, 'device-silent', (cur) => {
    const st = cur ?? { open: {}, recent: [] };
    const seen = st.recent.find((r) => r.key === key);
    if (seen) return { value: st, result: seen.replies };
    const open = { ...st.open };
    const replies: VigilEvent[] = [];
    const byId = new Map(devices.map((dv) => [dv.id, dv]));
    // Clears first: a device heard again and already silent again gets its new alert after the old is closed.
    for (const [deviceId, alarm] of Object.entries(st.open)) {
      const dv = byId.get(deviceId);
      const lastSeen = dv?.last_seen_at == null ? null : Number(dv.last_seen_at);
      const ended = outOfService(dv);
      if (!ended && (lastSeen === null || lastSeen <= alarm.lastSeenAt)) continue;
      delete open[deviceId];
      replies.push(
        clearedEvent({
          alertId: alarm.alertId,
          patientId: alarm.patientId,
          kind: 'device-silent',
          by: TECHNICAL_ALARMS,
          at: iso(now),
          reason: ended ?? `device heard again at ${iso(lastSeen!)}`,
        }),
      );
    }
    for (const dv of devices) {
      if (outOfService(dv) || open[dv.id]) continue;
      const lastSeen = Number(dv.last_seen_at);
      const silentMs = now - lastSeen;
      if (silentMs < silentSeconds * 1000) continue;
      const alertId = `dev-${dv.id}-device-silent-${lastSeen}`;
      open[dv.id] = { alertId, patientId: dv.patient_id, lastSeenAt: lastSeen };
      replies.push(
        raisedEvent({
          alertId,
          patientId: dv.patient_id,
          kind: 'device-silent',
          category: 'technical',
          severity: 'major',
          priority: kindPriority('device-silent'),
          evidence: {
            deviceId: dv.id,
            lastSeenAt: iso(lastSeen),
            silentSeconds: Math.floor(silentMs / 1000),
            thresholdSeconds: silentSeconds,
          },
          raisedAt: iso(now),
        }),
      );
    }
    return { value: { open, recent: rememberReplies(st.recent, key, replies) }, result: replies };
  });
}

const CLOCK_KEY = 'device-clock';

function clockOpen(st: ClockState): boolean {
  return Object.values(st.devices).some((d) => d.open);
}

async function handleClockRejected(event: VigilEvent, ctx: FunctionContext): Promise<VigilEvent[]> {
  const d = event.data as ClockRejected;
  const at = Date.parse(d.receivedAt);
  const key = `${event.source} ${event.id}`;
  return updateState<ClockState, VigilEvent[]>(ctx.db, TECHNICAL_ALARMS, CLOCK_KEY, (cur) => {
    const st = cur ?? { devices: {}, recent: [] };
    const seen = st.recent.find((r) => r.key === key);
    if (seen) return { value: st, result: seen.replies };
    const dev = st.devices[d.deviceId] ?? { patientId: d.patientId, rejections: [], open: null };
    const rejections = [...dev.rejections, at]
      .filter((t) => at - t < CLOCK_WINDOW_SECONDS * 1000)
      .slice(-CLOCK_REJECTIONS);
    const replies: VigilEvent[] = [];
    let open = dev.open;
    if (!open && rejections.length >= CLOCK_REJECTIONS) {
      const alertId = `clock-${d.deviceId}-${rejections[0]}`;
      open = { alertId, since: rejections[0]! };
      replies.push(
        raisedEvent({
          alertId,
          patientId: d.patientId,
          kind: 'device-clock-wrong',
          category: 'technical',
          severity: 'major',
          priority: kindPriority('device-clock-wrong'),
          evidence: {
            deviceId: d.deviceId,
            rejections: rejections.length,
            windowSeconds: CLOCK_WINDOW_SECONDS,
            lastField: d.field,
            lastTime: d.time,
            aheadSeconds: Math.round(d.aheadSeconds),
          },
          raisedAt: d.receivedAt,
        }),
      );
    }
    const devices = { ...st.devices, [d.deviceId]: { patientId: d.patientId, rejections, open } };
    return { value: { devices, recent: rememberReplies(st.recent, key, replies) }, result: replies };
  });
}

/** Clears device-clock-wrong for devices refused nothing for a whole window. */
async function clearClockAlarms(event: VigilEvent, ctx: FunctionContext): Promise<VigilEvent[]> {
  const cur = await readState<ClockState>(ctx.db, TECHNICAL_ALARMS, CLOCK_KEY);
  if (!cur || !clockOpen(cur.value)) return []; // the common case: a read, no write
  const now = ctx.now();
  const key = `${event.source} ${event.id}`;
  return updateState<ClockState, VigilEvent[]>(ctx.db, TECHNICAL_ALARMS, CLOCK_KEY, (c) => {
    const st = c ?? { devices: {}, recent: [] };
    const seen = st.recent.find((r) => r.key === key);
    if (seen) return { value: st, result: seen.replies };
    const devices = { ...st.devices };
    const replies: VigilEvent[] = [];
    for (const [deviceId, dev] of Object.entries(st.devices)) {
      const last = dev.rejections[dev.rejections.length - 1] ?? 0;
      if (!dev.open || now - last < CLOCK_WINDOW_SECONDS * 1000) continue;
      devices[deviceId] = { ...dev, rejections: [], open: null };
      replies.push(
        clearedEvent({
          alertId: dev.open.alertId,
          patientId: dev.patientId,
          kind: 'device-clock-wrong',
          by: TECHNICAL_ALARMS,
          at: iso(now),
          reason: `no data refused for its time since ${iso(last)}`,
        }),
      );
    }
    return { value: { devices, recent: rememberReplies(st.recent, key, replies) }, result: replies };
  });
}

export function createTechnicalAlarms(
  opts: { deviceSilentSeconds?: number; escalationDelaySeconds?: number } = {},
): VigilFunction {
  async function handleBatch(events: VigilEvent[], ctx: FunctionContext): Promise<VigilEvent[]> {
    const chunks = events.filter((e) => e.type === EVENT_TYPES.eegChunk).map(assessedChunk);
    const replies = chunks.length ? await handleChunks(chunks, ctx) : [];
    for (const e of events)
      if (e.type === EVENT_TYPES.technicalCheck || e.type === PING_SOURCE_TYPE) {
        replies.push(
          ...(await handleCheck(e, ctx, opts.deviceSilentSeconds ?? getConfig().VIGIL_DEVICE_SILENT_SECONDS)),
        );
        replies.push(...(await clearClockAlarms(e, ctx)));
        replies.push(
          ...(await escalations(
            ctx,
            TECHNICAL_ALARMS_SOURCE,
            opts.escalationDelaySeconds ?? getConfig().VIGIL_ESCALATION_DELAY_S,
          )),
        );
      } else if (e.type === EVENT_TYPES.clockRejected) replies.push(...(await handleClockRejected(e, ctx)));
    return replies;
  }
  return { name: TECHNICAL_ALARMS, handle: (event, ctx) => handleBatch([event], ctx), handleBatch };
}

export const technicalAlarms: VigilFunction = createTechnicalAlarms();
