// RFC 9457 problem details: every ingest error names what was wrong and where (a JSON Pointer).
export interface FieldError {
  /** JSON Pointer into the request (e.g. `/2/data/samples/0`) or a header name (`header:ce-id`). */
  pointer: string;
  detail: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Malformed request',
  401: 'Authentication required',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Event does not match the contract',
  503: 'Temporarily unable to accept events',
};

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly errors: FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  toJSON(): Problem {
    const slug = (TITLES[this.status] ?? 'error').toLowerCase().replaceAll(' ', '-');
    const body: Problem = {
      type: `https://vigil.health/problems/${slug}`,
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
    };
    if (this.errors.length) body.errors = this.errors;
    return body;
  }
}

export function problemResponse(p: ProblemError): Response {
  return new Response(JSON.stringify(p.toJSON()), {
    status: p.status,
    headers: { 'content-type': 'application/problem+json', ...p.headers },
  });
}

/** zod issue path -> JSON Pointer (RFC 6901). */
export function pointer(prefix: string, path: readonly PropertyKey[]): string {
  return prefix + path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
