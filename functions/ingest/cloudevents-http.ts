// CloudEvents 1.0 HTTP protocol binding: binary, structured and batched modes, parsed into plain
// events. Written here rather than with the SDK's HTTP.toEvent because the hot path needs
// field-level errors (which header, which index) and no per-event class construction.
import { LIMITS } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { ProblemError } from '../../http/problem.ts';
import { checkAttributes, decodeHeaderValue } from './attributes.ts';
import { decodeBinaryEeg, isBinaryEeg } from './binary-eeg.ts';

const REQUIRED = ['id', 'source', 'type', 'specversion'] as const;

export type Mode = 'binary' | 'structured' | 'batch';

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function modeOf(headers: Headers): Mode {
  const ct = mediaType(headers.get('content-type') ?? undefined);
  if (ct === 'application/cloudevents-batch+json') return 'batch';
  if (ct.startsWith('application/cloudevents')) {
    if (ct !== 'application/cloudevents+json')
      throw new ProblemError(415, `structured mode supports only JSON, got ${ct}`, [
        { pointer: 'header:content-type', detail: 'use application/cloudevents+json' },
      ]);
    return 'structured';
  }
  return 'binary';
}

function parseJson(body: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new ProblemError(400, `${where} is not valid JSON: ${(err as Error).message}`, [
      { pointer: '', detail: 'malformed JSON' },
    ]);
  }
}

function checkEnvelope(raw: unknown, at: string): VigilEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ProblemError(400, `${at || 'body'} must be a JSON object (a CloudEvent)`, [
      { pointer: at, detail: 'expected an object' },
    ]);
  const ev = checkAttributes(raw as Record<string, unknown>, (name) => `${at}/${name}`);
  const errors = REQUIRED.filter((k) => typeof ev[k] !== 'string' || ev[k] === '').map((k) => ({
    pointer: `${at}/${k}`,
    detail: `required CloudEvents attribute "${k}" is missing or empty`,
  }));
  if (errors.length) throw new ProblemError(400, errors.map((e) => e.detail).join('; '), errors);
  if (ev.specversion !== '1.0')
    throw new ProblemError(400, `unsupported specversion ${String(ev.specversion)}`, [
      { pointer: `${at}/specversion`, detail: 'must be "1.0"' },
    ]);
  if (ev.data_base64 !== undefined) {
    if (typeof ev.data_base64 !== 'string')
      throw new ProblemError(400, 'data_base64 must be a string', [
        { pointer: `${at}/data_base64`, detail: 'not a string' },
      ]);
    const bytes = Buffer.from(ev.data_base64, 'base64');
    const { data_base64: _b, ...rest } = ev;
    const ct = mediaType(rest.datacontenttype as string | undefined);
    const data =
      ct === 'application/json' || ct.endsWith('+json') ? parseJson(bytes, `${at}/data_base64`) : bytes;
    return { ...(rest as unknown as VigilEvent), data };
  }
  return ev as unknown as VigilEvent;
}

/** Parses one HTTP request into CloudEvents. Throws ProblemError (400/413/415/422) on bad input. */
export function parseCloudEvents(headers: Headers, body: Uint8Array): VigilEvent[] {
  const mode = modeOf(headers);
  if (mode === 'structured') return [checkEnvelope(parseJson(body, 'body'), '')];
  if (mode === 'batch') {
    const arr = parseJson(body, 'body');
    if (!Array.isArray(arr))
      throw new ProblemError(400, 'a batch must be a JSON array of CloudEvents', [
        { pointer: '', detail: 'expected an array' },
      ]);
    if (arr.length === 0)
      throw new ProblemError(422, 'the batch is empty', [{ pointer: '', detail: 'at least one event' }]);
    if (arr.length > LIMITS.maxBatchEvents)
      throw new ProblemError(
        413,
        `a batch holds at most ${LIMITS.maxBatchEvents} events, got ${arr.length}`,
        [{ pointer: '', detail: `at most ${LIMITS.maxBatchEvents} events` }],
      );
    return arr.map((e, i) => checkEnvelope(e, `/${i}`));
  }
  // Binary mode: attributes in ce-* headers, the body is the data.
  const fromHeaders: Record<string, unknown> = {};
  headers.forEach((value, name) => {
    const n = name.toLowerCase();
    if (n.startsWith('ce-')) fromHeaders[n.slice(3)] = decodeHeaderValue(value, n);
  });
  const ev = checkAttributes(fromHeaders, (name) => `header:ce-${name}`);
  const missing = REQUIRED.filter((k) => !ev[k]);
  if (missing.length)
    throw new ProblemError(
      headers.get('content-type') ? 400 : 415,
      `not a CloudEvent: missing ${missing.map((k) => `ce-${k}`).join(', ')} (binary mode) and the content type is not application/cloudevents+json or application/cloudevents-batch+json`,
      missing.map((k) => ({ pointer: `header:ce-${k}`, detail: 'required in binary mode' })),
    );
  if (ev.specversion !== '1.0')
    throw new ProblemError(400, `unsupported specversion ${String(ev.specversion)}`, [
      { pointer: 'header:ce-specversion', detail: 'must be "1.0"' },
    ]);
  const ct = mediaType(headers.get('content-type') ?? undefined);
  if (ct)
    ev.datacontenttype = checkAttributes(
      { datacontenttype: headers.get('content-type') },
      () => 'header:content-type',
    ).datacontenttype;
  if (body.byteLength === 0) return [ev as unknown as VigilEvent];
  if (ct === 'application/json' || ct.endsWith('+json')) ev.data = parseJson(body, 'body');
  else if (isBinaryEeg(ct)) {
    const out = decodeBinaryEeg(ev, body);
    return [out];
  } else
    throw new ProblemError(415, `unsupported data content type ${ct || '(none)'}`, [
      {
        pointer: 'header:content-type',
        detail: 'use application/json, or application/octet-stream for EEG chunks',
      },
    ]);
  return [ev as unknown as VigilEvent];
}
