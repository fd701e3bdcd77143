// The event model at the bottom of Vigil: a CloudEvent 1.0 as a plain object (its structured-mode JSON
// shape). It imports nothing, so every layer (storage excepted, which knows no events) can build on it.

/** A CloudEvent as a plain object. Extension attributes are extra top-level keys. */
export interface VigilEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: T;
  [extension: string]: unknown;
}
