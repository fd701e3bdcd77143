// Contract and ownership checks for device events: the type must be one a device may send, the
// data must match its schema, and a device may only speak for itself and its own patient.
import {
  DATA_SCHEMAS,
  DEVICE_EVENT_TYPES,
  deviceSource,
  envelopeSchema,
  isContractType,
} from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { ProblemError, pointer } from '../../http/problem.ts';
import type { Device } from '../../storage/patients-store.ts';

/** Validates every event (all-or-nothing); returns them with parsed data. `at(i)` prefixes pointers. */
export function validateDeviceEvents(events: VigilEvent[], device: Device, batch: boolean): VigilEvent[] {
  const at = (i: number) => (batch ? `/${i}` : '');
  const where = (i: number) => (batch ? `event ${i}: ` : '');
  return events.map((ev, i) => {
    const env = envelopeSchema.safeParse(ev);
    if (!env.success) {
      const errors = env.error.issues.map((iss) => ({
        pointer: pointer(at(i), iss.path),
        detail: iss.message,
      }));
      throw new ProblemError(400, `${where(i)}invalid CloudEvents attribute ${errors[0]?.pointer}`, errors);
    }
    if (!isContractType(ev.type) || !DEVICE_EVENT_TYPES.includes(ev.type))
      throw new ProblemError(422, `${where(i)}devices may not send events of type ${ev.type}`, [
        { pointer: `${at(i)}/type`, detail: `one of ${DEVICE_EVENT_TYPES.join(', ')}` },
      ]);
    if (ev.source !== deviceSource(device.id))
      throw new ProblemError(
        403,
        `${where(i)}this device may only send with source ${deviceSource(device.id)}`,
        [{ pointer: `${at(i)}/source`, detail: `must be ${deviceSource(device.id)}` }],
      );
    const parsed = DATA_SCHEMAS[ev.type].safeParse(ev.data);
    if (!parsed.success) {
      const errors = parsed.error.issues
        .slice(0, 20)
        .map((iss) => ({ pointer: pointer(`${at(i)}/data`, iss.path), detail: iss.message }));
      throw new ProblemError(422, `${where(i)}${errors[0]?.pointer}: ${errors[0]?.detail}`, errors);
    }
    const data = parsed.data as { patientId: string; deviceId: string };
    if (data.deviceId !== device.id)
      throw new ProblemError(403, `${where(i)}data.deviceId is not the authenticated device`, [
        { pointer: `${at(i)}/data/deviceId`, detail: 'must be the device the token belongs to' },
      ]);
    if (data.patientId !== device.patientId)
      throw new ProblemError(403, `${where(i)}this device is not enrolled for that patient`, [
        { pointer: `${at(i)}/data/patientId`, detail: "must be the device's own patient" },
      ]);
    if (ev.subject !== undefined && ev.subject !== data.patientId)
      throw new ProblemError(422, `${where(i)}subject must be the patient id`, [
        { pointer: `${at(i)}/subject`, detail: 'must equal data.patientId' },
      ]);
    return { ...ev, subject: data.patientId, data: parsed.data };
  });
}
