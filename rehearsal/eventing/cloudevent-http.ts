// CloudEvents over HTTP as the rehearsal's broker speaks it: both content modes in, binary mode out
// (the sender's choice, data-plane.md "HTTP Verbs"). An event is kept as its context attributes
// (strings, as binary mode carries them) and its data bytes untouched, so what a subscriber receives
// is byte for byte what the producer sent. Test fixture for the cluster path.
// Specs: https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md,
// https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md,
// https://github.com/knative/specs/blob/main/specs/eventing/data-plane.md

export interface WireEvent {
  /** Context attributes by name: specversion, id, source, type, and optional and extension ones. */
  attributes: Record<string, string>;
  /** The data as sent (datacontenttype says what it is); undefined when the event has none. */
  data?: Buffer | undefined;
}

export class CloudEventError extends Error {}

const REQUIRED = ['id', 'source', 'type'] as const;
// spec.md "Attribute Naming Convention": lower-case ASCII letters or digits.
const NAME = /^[a-z0-9]+$/;

/** spec.md "Required Attributes" and "Type System": what makes a context valid. */
export function validate(attributes: Record<string, string>): void {
  if (attributes.specversion !== '1.0')
    throw new CloudEventError(`specversion must be 1.0, got ${attributes.specversion ?? 'nothing'}`);
  for (const k of REQUIRED)
    if (!attributes[k]) throw new CloudEventError(`required attribute ${k} is missing or empty`);
  for (const k of Object.keys(attributes))
    if (!NAME.test(k)) throw new CloudEventError(`attribute name ${k} is not lower-case letters and digits`);
  // Timestamp: RFC 3339.
  if (
    attributes.time !== undefined &&
    !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(attributes.time)
  )
    throw new CloudEventError(`time is not an RFC 3339 timestamp: ${attributes.time}`);
}

const isJson = (ct: string | undefined) => !ct || /^application\/(.+\+)?json(;|$)/i.test(ct);

/** http-protocol-binding.md 3.1.3.2: values are percent-encoded beyond printable ASCII, space, `"` and `%`. */
export function encodeHeaderValue(v: string): string {
  return /[^\x21-\x7e]|["%]/.test(v)
    ? Array.from(new TextEncoder().encode(v), (b) =>
        b > 0x20 && b < 0x7f && b !== 0x22 && b !== 0x25
          ? String.fromCharCode(b)
          : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
      ).join('')
    : v;
}

export function decodeHeaderValue(v: string): string {
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    throw new CloudEventError(`header value is not valid percent-encoding: ${v.slice(0, 40)}`);
  }
}

/** An HTTP message (request or response) as a CloudEvent; undefined when it carries none. */
export function fromHttp(
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
): WireEvent | undefined {
  const header = (k: string) => {
    const v = headers[k];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const ct = header('content-type');
  if (ct && /^application\/cloudevents-batch\+json/i.test(ct))
    throw new CloudEventError('batched content mode is not accepted here: send one event per request');
  if (ct && /^application\/cloudevents\+json/i.test(ct)) return structured(body);
  if (header('ce-specversion') === undefined) return undefined;
  // http-protocol-binding.md 3.1: binary mode, attributes in ce- headers, data in the body.
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (k.startsWith('ce-') && v !== undefined)
      attributes[k.slice(3)] = decodeHeaderValue(Array.isArray(v) ? v.join(',') : v);
  if (ct) attributes.datacontenttype = ct;
  validate(attributes);
  return { attributes, data: body.length ? body : undefined };
}

/** json-format.md: the envelope's members are the attributes; `data` (JSON) or `data_base64`. */
function structured(body: Buffer): WireEvent {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new CloudEventError('structured mode body is not JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new CloudEventError('structured mode body is not a JSON object');
  const { data, data_base64: b64, ...rest } = doc as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (v === null) continue;
    if (typeof v === 'object')
      throw new CloudEventError(`attribute ${k} must be a string, number or boolean`);
    attributes[k] = String(v);
  }
  validate(attributes);
  if (data !== undefined && b64 !== undefined) throw new CloudEventError('both data and data_base64');
  if (typeof b64 === 'string') return { attributes, data: Buffer.from(b64, 'base64') };
  if (data === undefined) return { attributes };
  const bytes = typeof data === 'string' && !isJson(attributes.datacontenttype) ? data : JSON.stringify(data);
  if (attributes.datacontenttype === undefined) attributes.datacontenttype = 'application/json';
  return { attributes, data: Buffer.from(bytes) };
}

/** Binary mode: attributes as ce- headers, datacontenttype as Content-Type, data as the body. */
export function toBinary(event: WireEvent): { headers: Record<string, string>; body: Buffer } {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.attributes)) {
    if (k === 'datacontenttype') headers['content-type'] = v;
    else headers[`ce-${k}`] = encodeHeaderValue(v);
  }
  return { headers, body: event.data ?? Buffer.alloc(0) };
}

/** Structured mode (what a producer such as ingest's HttpSink may send). */
export function toStructured(event: WireEvent): { headers: Record<string, string>; body: Buffer } {
  const doc: Record<string, unknown> = { ...event.attributes };
  if (event.data !== undefined) {
    if (isJson(event.attributes.datacontenttype)) doc.data = JSON.parse(event.data.toString('utf8'));
    else doc.data_base64 = event.data.toString('base64');
  }
  return {
    headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
    body: Buffer.from(JSON.stringify(doc)),
  };
}
