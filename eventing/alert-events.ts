// The envelopes of alert.raised / alert.cleared, built one way for every function that raises alerts.
// The ids are derived from the alert id, so a redelivered input yields the same events and storage
// keeps them once.

import { createHash } from 'node:crypto';
import { type AlertCleared, type AlertEscalated, type AlertRaised, EVENT_TYPES } from './contract.ts';
import type { VigilEvent } from './event.ts';

export function alertRaisedEvent(source: string, data: AlertRaised): VigilEvent<AlertRaised> {
  return {
    specversion: '1.0',
    id: `${data.alertId}.raised`,
    source,
    type: EVENT_TYPES.alertRaised,
    subject: data.patientId,
    time: data.raisedAt,
    datacontenttype: 'application/json',
    data,
  };
}

export function alertClearedEvent(source: string, data: AlertCleared): VigilEvent<AlertCleared> {
  return {
    specversion: '1.0',
    id: `${data.alertId}.cleared`,
    source,
    type: EVENT_TYPES.alertCleared,
    subject: data.patientId,
    time: data.at,
    datacontenttype: 'application/json',
    data,
  };
}

/** One escalation per alert: replicas and repeated checks name the same event, stored once. */
export function alertEscalatedEvent(source: string, data: AlertEscalated): VigilEvent<AlertEscalated> {
  return {
    specversion: '1.0',
    id: `${data.alertId}.escalated`,
    source,
    type: EVENT_TYPES.alertEscalated,
    subject: data.patientId,
    time: data.escalatedAt,
    datacontenttype: 'application/json',
    data,
  };
}

/**
 * What names one device's stream of a patient inside alert ids: rules keep state per (patient, device),
 * so one device can neither suppress nor end another's alarm. Long ids are shortened by a hash so the
 * alert id stays within the contract's 128 characters.
 */
export function streamId(patientId: string, deviceId: string): string {
  const plain = `${patientId}-${deviceId}`;
  if (plain.length <= 80) return plain;
  return `${patientId.slice(0, 40)}-${createHash('sha256').update(`${patientId}\n${deviceId}`).digest('hex').slice(0, 24)}`;
}
