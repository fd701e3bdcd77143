// The identifier format storage keys patients and devices on. The event contract (eventing/contract.ts)
// builds its id schemas from the same pattern, so an id valid in an event is valid as a key.
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const ID_MAX_LENGTH = 64;
export const ID_RULE = 'letters, digits, ".", "_" or "-"';

export function isValidId(id: string): boolean {
  return id.length >= 1 && id.length <= ID_MAX_LENGTH && ID_PATTERN.test(id);
}
