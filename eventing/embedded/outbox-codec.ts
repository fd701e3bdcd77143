// The outbox's serialisation of events: the one EEG codec's (eventing/eeg-codec.ts), JSON for the
// envelope and EEG samples (the bulk of the bytes) as float32, the precision storage keeps anyway.
import { decodeEventBytes, encodeEventBytes } from '../eeg-codec.ts';
import type { VigilEvent } from '../event.ts';

export function encodeEvent(ev: VigilEvent): Buffer {
  return encodeEventBytes(ev);
}

export function decodeEvent(buf: Buffer): VigilEvent {
  return decodeEventBytes(buf);
}
