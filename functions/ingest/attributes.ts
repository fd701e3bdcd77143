// CloudEvents 1.0 context attributes, typed as the spec's type system types them (spec §Type System,
// JSON format §2.2, HTTP binding §3.1.3.2), checked at the door so nothing malformed reaches the broker.
// Extension values are scalars (String, Boolean, Integer); a JSON object or array is not a CloudEvents
// type, which is also what stops a deeply nested "extension" before anything serialises it.
import { type FieldError, ProblemError } from '../../http/problem.ts';

/** Attribute names: lower-case a-z and 0-9; the spec says at most 20 SHOULD be used, Vigil requires it. */
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;
/** Members of a JSON-format event that are not attributes. */
const NOT_ATTRIBUTES = new Set(['data', 'data_base64']);

export const ATTRIBUTE_LIMITS = {
  /** Longest extension string: 64 channel names of up to 32 characters, comma-separated, fit. */
  maxExtensionChars: 4096,
  maxExtensions: 32,
  maxIdChars: 255,
  maxSourceChars: 255,
  maxTypeChars: 128,
  maxSubjectChars: 64,
  maxContentTypeChars: 128,
} as const;

const INT32 = { min: -2147483648, max: 2147483647 };

/**
 * id, type and subject: visible ASCII without the HTML-significant characters `"&'<>`, backslash
 * and backtick. The spec types them as String (any Unicode but controls); a consumer may refuse
 * values it cannot handle, and Vigil shows these values in pages, logs and problem details, where
 * bidi overrides, invisible and look-alike characters and markup are a way to mislead a clinician.
 * Producers lose nothing they need: counters, UUIDs and reverse-DNS names are all of this form.
 */
const TOKEN = /^[!#$%()*+,\-./0-9:;=?@A-Z[\]^_a-z{|}~]+$/;
/** RFC 3986 characters (unreserved, reserved, percent-encoded): no space, quote, angle bracket or control. */
const URI_CHARS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;
/** RFC 2046 / RFC 9110 media type with optional parameters. */
const MEDIA_TYPE =
  /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;\s*[A-Za-z0-9!#$&^_.+-]+=(?:[A-Za-z0-9!#$&^_.+-]+|"[^"\\]*"))*$/;

/** The spec's String: no controls (U+0000-001F, U+007F-009F), no noncharacters, no lone surrogates. */
export function isCloudEventsString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0xfdd0 && c <= 0xfdef)) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      const cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
      if ((cp & 0xfffe) === 0xfffe) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
    else if ((c & 0xfffe) === 0xfffe) return false;
  }
  return true;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A binary-mode header value -> the attribute's string (HTTP binding §3.1.3.2): a double-quoted value
 * is unescaped, then one round of percent-decoding, and the bytes must be valid UTF-8 (an overlong
 * `%C0%A0` or a truncated `%E0%A4%A` is refused, as the binding requires).
 */
export function decodeHeaderValue(raw: string, header: string): string {
  let v = raw;
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
  if (!/^[\x20-\x7e]*$/.test(v))
    throw invalid(`header:${header}`, 'only printable ASCII; percent-encode other characters (UTF-8)');
  if (!v.includes('%')) return v;
  const bytes: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c !== 0x25) {
      bytes.push(c);
      continue;
    }
    const hex = v.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex))
      throw invalid(`header:${header}`, 'malformed percent-encoding: "%" must be followed by two hex digits');
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  try {
    return utf8.decode(new Uint8Array(bytes));
  } catch {
    throw invalid(`header:${header}`, 'percent-encoded bytes are not valid UTF-8');
  }
}

function invalid(pointer: string, detail: string): ProblemError {
  return new ProblemError(400, `invalid CloudEvents attribute ${pointer}: ${detail}`, [{ pointer, detail }]);
}

type Check = (v: string) => string | undefined;

const bounded =
  (max: number, rule: RegExp, ruleText: string): Check =>
  (v) => {
    if (v.length === 0) return 'must not be empty';
    if (v.length > max) return `at most ${max} characters`;
    return rule.test(v) ? undefined : ruleText;
  };

const TOKEN_TEXT = 'visible ASCII only, without spaces, quotes, "&", "<", ">", "\\" or "`"';
const CORE: Record<string, Check> = {
  specversion: (v) => (v === '1.0' ? undefined : 'must be "1.0"'),
  id: bounded(ATTRIBUTE_LIMITS.maxIdChars, TOKEN, TOKEN_TEXT),
  type: bounded(ATTRIBUTE_LIMITS.maxTypeChars, TOKEN, TOKEN_TEXT),
  subject: bounded(ATTRIBUTE_LIMITS.maxSubjectChars, TOKEN, TOKEN_TEXT),
  source: bounded(ATTRIBUTE_LIMITS.maxSourceChars, URI_CHARS, 'a URI-reference (RFC 3986 characters only)'),
  dataschema: (v) =>
    bounded(ATTRIBUTE_LIMITS.maxSourceChars, URI_CHARS, 'an absolute URI (RFC 3986)')(v) ??
    (URI_SCHEME.test(v) ? undefined : 'an absolute URI (RFC 3986): it needs a scheme'),
  time: (v) => (RFC3339.test(v) && !Number.isNaN(Date.parse(v)) ? undefined : 'an RFC 3339 timestamp'),
  datacontenttype: bounded(ATTRIBUTE_LIMITS.maxContentTypeChars, MEDIA_TYPE, 'an RFC 2046 media type'),
};

/**
 * Checks every attribute of one event (name and value type) and returns it without `null`
 * attributes (JSON format: null means unset). `where(name)` names an attribute in errors
 * (`/3/id` in a batch, `header:ce-id` in binary mode). Throws a 400 ProblemError listing every bad one.
 */
export function checkAttributes(
  ev: Record<string, unknown>,
  where: (name: string) => string,
): Record<string, unknown> {
  const errors: FieldError[] = [];
  const out: Record<string, unknown> = {};
  let extensions = 0;
  for (const [name, value] of Object.entries(ev)) {
    if (NOT_ATTRIBUTES.has(name)) {
      out[name] = value;
      continue;
    }
    if (value === null) continue;
    const at = where(name);
    if (!ATTRIBUTE_NAME.test(name)) {
      errors.push({ pointer: at, detail: 'attribute names are 1-20 lower-case letters and digits' });
      continue;
    }
    const core = CORE[name];
    if (core) {
      const problem = typeof value === 'string' ? core(value) : 'must be a string';
      if (problem) errors.push({ pointer: at, detail: problem });
      else out[name] = value;
      continue;
    }
    if (++extensions > ATTRIBUTE_LIMITS.maxExtensions) {
      errors.push({ pointer: at, detail: `at most ${ATTRIBUTE_LIMITS.maxExtensions} extension attributes` });
      break;
    }
    const problem = extensionProblem(value);
    if (problem) errors.push({ pointer: at, detail: problem });
    else out[name] = value;
  }
  if (errors.length)
    throw new ProblemError(
      400,
      `invalid CloudEvents attribute ${errors[0]!.pointer}: ${errors[0]!.detail}`,
      errors.slice(0, 20),
    );
  return out;
}

function extensionProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isInteger(value) && value >= INT32.min && value <= INT32.max
        ? undefined
        : 'a number attribute must be a CloudEvents Integer (a whole number in the signed 32-bit range)';
    case 'string':
      if (value.length > ATTRIBUTE_LIMITS.maxExtensionChars)
        return `at most ${ATTRIBUTE_LIMITS.maxExtensionChars} characters`;
      return isCloudEventsString(value)
        ? undefined
        : 'control characters, noncharacters and unpaired surrogates are not allowed in a CloudEvents String';
    default:
      return 'an extension attribute is a scalar (String, Boolean, Integer, URI or Timestamp), not an object or array';
  }
}

/**
 * A decimal number as devices write one (`256`, `173.61`): digits with an optional fraction and
 * nothing else, so `0x10`, `1e3`, ` 256`, `+256` and `Infinity` are refused rather than guessed. NaN
 * when not a plain decimal.
 */
export function parseDecimal(v: unknown): number {
  return typeof v === 'string' && /^(?:0|[1-9]\d{0,8})(?:\.\d{1,9})?$/.test(v) ? Number(v) : Number.NaN;
}
