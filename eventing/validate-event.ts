// The one check of an event against the contract, made once, at a door: ingest for devices, each
// function's HTTP endpoint for a Knative Broker. Past a door events are typed and validated, EEG samples
// are Float32Array rows, and no handler parses them again.
import { ProblemError, pointer } from '../http/problem.ts';
import { DATA_SCHEMAS, envelopeSchema, isContractType } from './contract.ts';
import type { VigilEvent } from './event.ts';

export interface ValidateOptions {
  /** JSON pointer prefix of the event in the request body (`/3` for a batch's fourth event). */
  at?: string;
  /** Prefix of the problem's detail (`event 3: `). */
  where?: string;
  /** Checks of the door between the envelope and the data (ingest: may this device send this?). */
  admit?: (event: VigilEvent) => void;
  /** Issues listed in the problem at most (the first names the field). */
  maxErrors?: number;
}

/**
 * The event with its data as the contract parses it. Types outside the contract (a PingSource's
 * technical check) pass with their data as is. Throws a 400 ProblemError for the envelope and a 422
 * naming the field for the data.
 */
export function validateContractEvent(event: VigilEvent, opts: ValidateOptions = {}): VigilEvent {
  const at = opts.at ?? '';
  const where = opts.where ?? '';
  const env = envelopeSchema.safeParse(event);
  if (!env.success) {
    const errors = env.error.issues.map((iss) => ({ pointer: pointer(at, iss.path), detail: iss.message }));
    throw new ProblemError(400, `${where}invalid CloudEvents attribute ${errors[0]?.pointer}`, errors);
  }
  opts.admit?.(event);
  if (!isContractType(event.type)) return event;
  const parsed = DATA_SCHEMAS[event.type].safeParse(event.data);
  if (!parsed.success) {
    const errors = parsed.error.issues
      .slice(0, opts.maxErrors ?? 20)
      .map((iss) => ({ pointer: pointer(`${at}/data`, iss.path), detail: iss.message }));
    throw new ProblemError(422, `${where}${errors[0]?.pointer}: ${errors[0]?.detail}`, errors);
  }
  return { ...event, data: parsed.data };
}
