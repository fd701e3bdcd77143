// One delivery attempt of the rehearsal's broker, and what its answer means, following the Knative
// Eventing data-plane contract (https://github.com/knative/specs/blob/main/specs/eventing/data-plane.md)
// and Knative's dispatcher where the contract leaves a choice. Test fixture for the cluster path.
import { CloudEventError, fromHttp, toBinary, type WireEvent } from './cloudevent-http.ts';

export type Outcome =
  | { kind: 'delivered'; status: number; reply?: WireEvent }
  | {
      kind: 'failed';
      /** undefined: no HTTP response at all (refused, reset, timed out). */
      status?: number | undefined;
      /** The response body, or the transport error, for knativeerrordata. */
      detail: Buffer;
      retry: boolean;
    };

/**
 * data-plane.md, "Event Acknowledgement and Delivery Retry": 404 (endpoint not there yet), 409
 * (conflict / processing in progress), 429 (overloaded) and 5xx are retried, 400 and other 4xx are
 * not; a response code outside the table SHOULD be retried. Knative's dispatcher
 * (kncloudevents.SelectiveRetry) also retries 408 (request timeout) and every failed request without
 * a response; it does not retry 1xx/3xx, which the contract reserves and asks senders to treat as
 * errors. Hence: no response, 404, 408, 409, 429, >= 500 retry; everything else below 200 or >= 300
 * does not.
 */
export function isRetryable(status: number | undefined): boolean {
  if (status === undefined) return true;
  return status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;
}

const MAX_BODY = 16 * 2 ** 20;

async function readBody(res: Response): Promise<Buffer> {
  const buf = Buffer.from(await res.arrayBuffer());
  return buf.length > MAX_BODY ? buf.subarray(0, MAX_BODY) : buf;
}

/**
 * POSTs the event in binary mode with `Prefer: reply` (data-plane.md "Derived (Reply) Events":
 * brokers MUST send it to a Trigger's subscriber), and classifies the answer:
 * - 200 with an event (binary or structured) is a reply; 200 with an empty body is done, no reply;
 *   200 with a body that is no CloudEvent, or a malformed one, fails with 502 (Knative's broker
 *   filter: "The response MUST be either empty or a valid CloudEvent"), retried like any 5xx (the
 *   MTChannelBasedBroker filter answers 502 to the channel dispatcher, which retries it);
 * - 202 "MUST NOT be processed as reply events", and other 2xx complete the delivery without one;
 * - otherwise a failure, retried when isRetryable says so.
 */
export async function deliverOnce(
  url: string,
  event: WireEvent,
  opts: { preferReply?: boolean; timeoutMs?: number } = {},
): Promise<Outcome> {
  const { headers, body } = toBinary(event);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: opts.preferReply === false ? headers : { ...headers, prefer: 'reply' },
      body: body as Uint8Array<ArrayBuffer>,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 300_000),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.cause?.code ?? e.cause?.message ?? e.message;
    return { kind: 'failed', detail: Buffer.from(`dispatch error: POST ${url}: ${why}`), retry: true };
  }
  let data: Buffer;
  try {
    data = await readBody(res);
  } catch (err) {
    return {
      kind: 'failed',
      status: res.status,
      detail: Buffer.from(`dispatch error: reading the response: ${(err as Error).message}`),
      retry: true,
    };
  }
  if (res.status < 200 || res.status >= 300)
    return { kind: 'failed', status: res.status, detail: data, retry: isRetryable(res.status) };
  if (res.status !== 200) return { kind: 'delivered', status: res.status };
  try {
    const reply = fromHttp(Object.fromEntries(res.headers), data);
    if (reply) return { kind: 'delivered', status: 200, reply };
    if (!data.length) return { kind: 'delivered', status: 200 };
    return {
      kind: 'failed',
      status: 502,
      detail: Buffer.from('received a non-empty response not recognized as CloudEvent'),
      retry: true,
    };
  } catch (err) {
    const why = err instanceof CloudEventError ? err.message : String(err);
    return { kind: 'failed', status: 502, detail: Buffer.from(`malformed reply event: ${why}`), retry: true };
  }
}
