// FHIR R4 read-only export, mounted by the dashboard at /fhir behind authentication:
//   GET /Patient/{id}
//   GET /Observation/{id}                hr-<seq> | pred-<seq> | eeg-<seq>
//   GET /Observation?patient=&code=&date=&_count=&_cursor=   heart rate and seizure probabilities
//   GET /Flag?patient=&_count=&_cursor=                       alerts
// Search answers a `searchset` Bundle (total, link self/next with an opaque cursor); every error is an
// OperationOutcome with the matching HTTP status; media type application/fhir+json.

import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { LIMITS } from '../eventing/contract.ts';
import { ProblemError } from '../http/problem.ts';
import { InvalidCursorError, listAlerts } from '../storage/alert-queries.ts';
import type { Db } from '../storage/db.ts';
import {
  countHeartRateSamples,
  countPredictions,
  eegChunkBySeq,
  eegChunkPlaces,
  heartRateSampleBySeq,
  heartRateSamples,
  predictionBySeq,
  predictions,
  type TelemetryRange,
} from '../storage/telemetry-store.ts';
import {
  eegChunkObservation,
  fhirId,
  flagResource,
  HEART_RATE_LOINC,
  heartRateObservation,
  type IssueCode,
  LOINC,
  operationOutcome,
  type PredictionRow,
  patientResource,
  predictionObservation,
  type Resource,
  SEIZURE_PROBABILITY_CODE,
  VIGIL_OBSERVATION_SYSTEM,
} from './mapping.ts';

export const FHIR_JSON = 'application/fhir+json';
export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 1000;

/**
 * FHIR answers errors as an OperationOutcome (FHIR R4 §3.1.0.5), rendered from the one ProblemError:
 * its status, its detail as diagnostics, the issue code from the status (or the `code` extension) and
 * the search parameter it names as the expression.
 */
function fhirError(
  status: ContentfulStatusCode,
  message: string,
  param?: string,
  code?: 'not-supported',
): ProblemError {
  return new ProblemError(status, message, param ? [{ pointer: `query:${param}`, detail: message }] : [], {
    extensions: code ? { code } : {},
  });
}

function outcomeOf(err: ProblemError): Resource {
  const code =
    (err.extensions.code as IssueCode | undefined) ??
    (err.status === 404 ? 'not-found' : err.status >= 500 ? 'exception' : 'invalid');
  const expression = err.errors[0]?.pointer.replace(/^(query|path):/, '');
  return operationOutcome(code, err.message, expression);
}

function fhirJson(c: Context, body: Resource, status: ContentfulStatusCode = 200): Response {
  return c.body(JSON.stringify(body), status, { 'content-type': `${FHIR_JSON}; charset=utf-8` });
}

// ---------------------------------------------------------------------------------------------
// Search parameters.

function countParam(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_COUNT;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw fhirError(400, '_count must be a positive whole number', '_count');
  return Math.min(MAX_COUNT, Number(raw));
}

function patientParam(c: Context): string {
  const raw = c.req.query('patient') ?? c.req.query('subject');
  if (!raw) throw fhirError(400, 'patient is required (patient=<id> or patient=Patient/<id>)', 'patient');
  return raw.replace(/^Patient\//, '');
}

/** Resolves a FHIR patient id (possibly a hashed one) back to the Vigil id; undefined when unknown. */
async function vigilPatientId(db: Db, id: string): Promise<string | undefined> {
  const direct = await db.get<{ id: string }>('SELECT id FROM patients WHERE id = ?', [id]);
  if (direct) return direct.id;
  if (!id.startsWith('h-')) return undefined;
  const all = await db.all<{ id: string }>('SELECT id FROM patients');
  return all.find((p) => fhirId(p.id) === id)?.id;
}

interface TimeRange {
  from: number;
  to: number;
}

const DATE_ONLY = /^\d{4}(-\d{2}(-\d{2})?)?$/;

function dateRange(values: string[]): TimeRange {
  const range = { from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER };
  for (const v of values) {
    const m = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.+)$/.exec(v)!;
    const prefix = m[1] ?? 'eq';
    const value = m[2]!;
    const start = Date.parse(
      DATE_ONLY.test(value)
        ? `${value}${value.length === 4 ? '-01-01' : value.length === 7 ? '-01' : ''}T00:00:00Z`
        : value,
    );
    if (Number.isNaN(start) || !/^\d{4}/.test(value))
      throw fhirError(
        400,
        `date "${v}" is not a FHIR date or dateTime (e.g. ge2024-05-01T10:00:00Z)`,
        'date',
      );
    // The end of the value's precision: a day, a month, a year, or the instant itself.
    let end = start;
    if (DATE_ONLY.test(value)) {
      const d = new Date(start);
      if (value.length === 4) d.setUTCFullYear(d.getUTCFullYear() + 1);
      else if (value.length === 7) d.setUTCMonth(d.getUTCMonth() + 1);
      else d.setUTCDate(d.getUTCDate() + 1);
      end = d.getTime() - 1;
    }
    if (prefix === 'ge') range.from = Math.max(range.from, start);
    else if (prefix === 'gt') range.from = Math.max(range.from, end + 1);
    else if (prefix === 'le') range.to = Math.min(range.to, end);
    else if (prefix === 'lt') range.to = Math.min(range.to, start - 1);
    else if (prefix === 'eq') {
      range.from = Math.max(range.from, start);
      range.to = Math.min(range.to, end);
    } else
      throw fhirError(
        400,
        `date prefix "${prefix}" is not supported (use eq, gt, ge, lt, le)`,
        'date',
        'not-supported',
      );
  }
  return range;
}

type ObsSource = 'hr' | 'pred';

/** code=<token>[,<token>]: `8867-4`, `http://loinc.org|8867-4`, `seizure-probability`, with its system. */
function codeSources(raw: string | undefined): Set<ObsSource> {
  if (raw === undefined) return new Set(['hr', 'pred']);
  const out = new Set<ObsSource>();
  for (const token of raw.split(',')) {
    const [system, code] = token.includes('|') ? token.split('|', 2) : [undefined, token];
    if (code === HEART_RATE_LOINC && (system === undefined || system === '' || system === LOINC))
      out.add('hr');
    if (
      code === SEIZURE_PROBABILITY_CODE &&
      (system === undefined || system === '' || system === VIGIL_OBSERVATION_SYSTEM)
    )
      out.add('pred');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Paging: keyset over (time, source, seq) across both tables, opaque to clients.

interface ObsCursor {
  t: number;
  k: number;
  s: number;
}
const SOURCE_ORDER: Record<ObsSource, number> = { hr: 0, pred: 1 };

function encode(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

function decodeObsCursor(raw: string): ObsCursor {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<ObsCursor>;
    if (Number.isSafeInteger(v.t) && Number.isSafeInteger(v.k) && Number.isSafeInteger(v.s))
      return v as ObsCursor;
  } catch {
    // fall through
  }
  throw fhirError(400, '_cursor is not one this server issued', '_cursor');
}

/**
 * "(time, K, seq) > cursor" for a table whose rows all have source order K, as a (time, seq) keyset:
 * a later source takes the cursor's time itself, an earlier one only later times.
 */
function afterCursor(k: number, cur: ObsCursor | undefined): { time: number; seq: number } | undefined {
  if (!cur) return undefined;
  if (k > cur.k) return { time: cur.t, seq: 0 };
  if (k < cur.k) return { time: cur.t, seq: Number.MAX_SAFE_INTEGER };
  return { time: cur.t, seq: cur.s };
}

interface Keyed {
  t: number;
  k: number;
  s: number;
  resource: Resource;
}

async function heartRatePage(db: Db, patientId: string, r: TimeRange, cur: ObsCursor | undefined, n: number) {
  const rows = await heartRateSamples(db, {
    patientId,
    from: r.from,
    to: r.to,
    after: afterCursor(SOURCE_ORDER.hr, cur),
    limit: n,
  });
  return rows.map<Keyed>((row) => ({
    t: row.time,
    k: SOURCE_ORDER.hr,
    s: row.seq,
    resource: heartRateObservation({
      seq: row.seq,
      patientId,
      deviceId: row.deviceId,
      time: row.time,
      bpm: row.bpm,
    }),
  }));
}

async function predictionPage(
  db: Db,
  patientId: string,
  r: TimeRange,
  cur: ObsCursor | undefined,
  n: number,
) {
  const rows = await predictions(db, {
    patientId,
    from: r.from,
    to: r.to,
    after: afterCursor(SOURCE_ORDER.pred, cur),
    limit: n,
  });
  const chunks = new Map<string, { seq: number; deviceId: string }>();
  if (rows.length) {
    // The chunk starts at most maxEegSeconds before its first window: bound the look-up by time.
    const times = rows.map((x) => x.windowStart);
    const found = await eegChunkPlaces(db, {
      patientId,
      from: Math.min(...times) - LIMITS.maxEegSeconds * 1000,
      to: Math.max(...times),
      eventIds: rows.map((x) => x.chunkEventId),
    });
    for (const ch of found) chunks.set(ch.eventId, { seq: ch.seq, deviceId: ch.deviceId });
  }
  return rows.map<Keyed>((row) => {
    const chunk = chunks.get(row.chunkEventId);
    const p: PredictionRow = {
      seq: row.seq,
      patientId,
      windowStart: row.windowStart,
      probability: row.chunkProbability,
      label: row.label,
      modelVersion: row.modelVersion,
      chunkSeq: chunk?.seq ?? null,
      deviceId: chunk?.deviceId ?? null,
    };
    return { t: p.windowStart, k: SOURCE_ORDER.pred, s: p.seq, resource: predictionObservation(p) };
  });
}

const COUNTED: Record<ObsSource, (db: Db, r: TelemetryRange) => Promise<number>> = {
  hr: countHeartRateSamples,
  pred: countPredictions,
};

async function countRows(db: Db, sources: Set<ObsSource>, patientId: string, r: TimeRange): Promise<number> {
  let total = 0;
  for (const source of sources) total += await COUNTED[source](db, { patientId, from: r.from, to: r.to });
  return total;
}

function bundle(
  c: Context,
  type: string,
  entries: Resource[],
  total: number,
  nextCursor: string | null,
): Resource {
  const self = new URL(c.req.url);
  const base = `${self.origin}${self.pathname.slice(0, self.pathname.lastIndexOf('/'))}`;
  const link = [{ relation: 'self', url: self.toString() }];
  if (nextCursor) {
    const next = new URL(self);
    next.searchParams.set('_cursor', nextCursor);
    link.push({ relation: 'next', url: next.toString() });
  }
  return {
    resourceType: 'Bundle',
    type,
    total,
    link,
    entry: entries.map((resource) => ({
      fullUrl: `${base}/${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}

// ---------------------------------------------------------------------------------------------

export function createFhirRoutes(db: Db): Hono {
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof InvalidCursorError) err = fhirError(400, err.message, '_cursor');
    if (!(err instanceof ProblemError)) {
      console.error(`[fhir] ${c.req.method} ${c.req.path}: ${(err as Error).message}`);
      err = new ProblemError(500, 'internal error');
    }
    return fhirJson(c, outcomeOf(err as ProblemError), (err as ProblemError).status);
  });

  app.get('/Patient/:id', async (c) => {
    const id = await vigilPatientId(db, c.req.param('id'));
    const row = id
      ? await db.get<{ id: string; name: string }>('SELECT id, name FROM patients WHERE id = ?', [id])
      : undefined;
    if (!row) throw fhirError(404, `Patient/${c.req.param('id')} not found`);
    return fhirJson(c, patientResource(row));
  });

  app.get('/Observation/:id', async (c) => {
    const raw = c.req.param('id');
    const m = /^(hr|pred|eeg)-(\d{1,15})$/.exec(raw);
    if (!m) throw fhirError(404, `Observation/${raw} not found`);
    const seq = Number(m[2]);
    if (m[1] === 'hr') {
      const r = await heartRateSampleBySeq(db, seq);
      if (r)
        return fhirJson(
          c,
          heartRateObservation({
            seq,
            patientId: r.patientId,
            deviceId: r.deviceId,
            time: r.time,
            bpm: r.bpm,
          }),
        );
    } else if (m[1] === 'pred') {
      const r = await predictionBySeq(db, seq);
      if (r) {
        const page = await predictionPage(
          db,
          r.patientId,
          { from: r.windowStart, to: r.windowStart },
          undefined,
          MAX_COUNT,
        );
        const hit = page.find((p) => p.s === seq);
        if (hit) return fhirJson(c, hit.resource);
      }
    } else {
      const r = await eegChunkBySeq(db, seq);
      if (r) return fhirJson(c, eegChunkObservation(r));
    }
    throw fhirError(404, `Observation/${raw} not found`);
  });

  app.get('/Observation', async (c) => {
    const count = countParam(c.req.query('_count'));
    const patient = await vigilPatientId(db, patientParam(c));
    const range = dateRange(c.req.queries('date') ?? []);
    const sources = codeSources(c.req.query('code'));
    const cursorRaw = c.req.query('_cursor');
    const cur = cursorRaw ? decodeObsCursor(cursorRaw) : undefined;
    if (!patient || sources.size === 0 || range.from > range.to)
      return fhirJson(c, bundle(c, 'searchset', [], 0, null));
    const rows: Keyed[] = [];
    if (sources.has('hr')) rows.push(...(await heartRatePage(db, patient, range, cur, count + 1)));
    if (sources.has('pred')) rows.push(...(await predictionPage(db, patient, range, cur, count + 1)));
    rows.sort((a, b) => a.t - b.t || a.k - b.k || a.s - b.s);
    const page = rows.slice(0, count);
    const last = page[page.length - 1];
    const next = rows.length > count && last ? encode({ t: last.t, k: last.k, s: last.s }) : null;
    return fhirJson(
      c,
      bundle(
        c,
        'searchset',
        page.map((r) => r.resource),
        await countRows(db, sources, patient, range),
        next,
      ),
    );
  });

  app.get('/Flag', async (c) => {
    const count = countParam(c.req.query('_count'));
    const patient = await vigilPatientId(db, patientParam(c));
    if (!patient) return fhirJson(c, bundle(c, 'searchset', [], 0, null));
    const page = await listAlerts(db, { patientId: patient, limit: count, cursor: c.req.query('_cursor') });
    return fhirJson(c, bundle(c, 'searchset', page.items.map(flagResource), page.total, page.nextCursor));
  });

  // A catch-all route, not notFound(): a mounted sub-app's notFound handler is the parent's.
  app.all('*', (c) =>
    fhirJson(
      c,
      operationOutcome('not-supported', `no FHIR interaction at ${c.req.method} ${c.req.path}`),
      404,
    ),
  );

  return app;
}
