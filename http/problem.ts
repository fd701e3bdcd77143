// RFC 9457 problem details: the one error vocabulary of every HTTP door (ingest, dashboard, FHIR and
// the event functions' adapter). A ProblemError knows its status, like hono's HTTPException, which it
// extends: thrown anywhere in a Hono app it becomes its response, and the doors that are not Hono
// (functions-framework) render the same body from toJSON().
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** What was wrong and where. */
export interface FieldError {
  /**
   * A JSON Pointer (RFC 6901) into the request body (`/2/data/samples/0`), or a named part of the
   * request: `header:ce-id`, `query:from`, `path:id`.
   */
  pointer: string;
  detail: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Malformed request',
  401: 'Authentication required',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  411: 'Length required',
  413: 'Payload too large',
  415: 'Unsupported media type',
  // Vigil's only 422s are events (or Health Auto Export bodies) that do not match the contract.
  422: 'Event does not match the contract',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
};

export interface ProblemInit {
  /** Response headers (Retry-After, WWW-Authenticate, Connection …). */
  headers?: Record<string, string>;
  /** RFC 9457 extension members, e.g. the dashboard's `field` or an alert transition's `code`. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

export class ProblemError extends HTTPException {
  readonly errors: FieldError[];
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(
    status: ContentfulStatusCode,
    detail: string,
    errors: FieldError[] = [],
    init: ProblemInit = {},
  ) {
    super(status, { message: detail, cause: init.cause });
    this.errors = errors;
    this.headers = init.headers ?? {};
    this.extensions = init.extensions ?? {};
  }

  get title(): string {
    return TITLES[this.status] ?? 'Error';
  }

  toJSON(): Problem {
    const body: Problem = {
      type: `https://vigil.health/problems/${this.title.toLowerCase().replaceAll(' ', '-')}`,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...this.extensions,
    };
    if (this.errors.length) body.errors = this.errors;
    return body;
  }

  override getResponse(): Response {
    return new Response(JSON.stringify(this.toJSON()), {
      status: this.status,
      headers: { 'content-type': 'application/problem+json', ...this.headers },
    });
  }
}

/** The response for a problem (the same as `err.getResponse()`). */
export function problemResponse(p: ProblemError): Response {
  return p.getResponse();
}

/** A path (zod issue path, array indices) -> JSON Pointer (RFC 6901) under `prefix`. */
export function pointer(prefix: string, path: readonly PropertyKey[]): string {
  return prefix + path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
