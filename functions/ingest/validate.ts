// Contract and ownership checks for device events: the type must be one a device may send, the
// data must match its schema, and a device may only speak for itself and its own patient.
import { DEVICE_EVENT_TYPES, deviceSource, isContractType } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { validateContractEvent } from '../../eventing/validate-event.ts';
import { ProblemError } from '../../http/problem.ts';
import type { Device } from '../../storage/patients-store.ts';

/** Validates every event (all-or-nothing) at the device door; returns them with parsed data. */
export function validateDeviceEvents(events: VigilEvent[], device: Device, batch: boolean): VigilEvent[] {
  const at = (i: number) => (batch ? `/${i}` : '');
  const where = (i: number) => (batch ? `event ${i}: ` : '');
  return events.map((raw, i) => {
    const ev = validateContractEvent(raw, {
      at: at(i),
      where: where(i),
      admit: (e) => {
        if (!isContractType(e.type) || !DEVICE_EVENT_TYPES.includes(e.type))
          throw new ProblemError(422, `${where(i)}devices may not send events of type ${e.type}`, [
            { pointer: `${at(i)}/type`, detail: `one of ${DEVICE_EVENT_TYPES.join(', ')}` },
          ]);
        if (e.source !== deviceSource(device.id))
          throw new ProblemError(
            403,
            `${where(i)}this device may only send with source ${deviceSource(device.id)}`,
            [{ pointer: `${at(i)}/source`, detail: `must be ${deviceSource(device.id)}` }],
          );
      },
    });
    const data = ev.data as { patientId: string; deviceId: string };
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
    return { ...ev, subject: data.patientId };
  });
}
