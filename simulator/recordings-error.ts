/** A recording the simulator cannot use; the message names the file (and line or field when known). */
export class RecordingError extends Error {
  override name = 'RecordingError';
}
