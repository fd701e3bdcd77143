// The live messages the patient view draws from: a prediction says, per second, whether the detector
// found it seizure-like (as the detector decides, with the installed model's threshold).
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../eventing/contract.ts';
import { seizureThreshold } from '../data/model-threshold.ts';
import { summarise } from './summarise.ts';

describe('summarise', () => {
  it('turns a prediction into one seizure-like verdict per window, for the device that recorded it', () => {
    const threshold = seizureThreshold();
    expect(threshold).not.toBeNull();
    const above = Math.min(1, threshold! * 2);
    const below = threshold! / 10;
    const msg = summarise({
      seq: 7,
      source: '/functions/seizure-detector',
      id: 'c1.prediction',
      type: EVENT_TYPES.eegPrediction,
      subject: 'p1',
      time: Date.parse('2026-11-26T10:00:00Z'),
      data: JSON.stringify({
        patientId: 'p1',
        deviceId: 'dev-1',
        windowStart: '2026-11-26T10:00:00.000Z',
        windowSeconds: 1,
        // [window][channel]: a single channel scores as itself.
        windowProbabilities: [[above], [below], [above]],
        chunkProbability: above,
        label: 'seizure',
        modelVersion: 'm',
      }),
    });
    expect(msg.event).toBe('prediction');
    const body = JSON.parse(msg.json);
    expect(body.deviceId).toBe('dev-1');
    expect(body.windows).toEqual([
      { start: '2026-11-26T10:00:00.000Z', seizureLike: true },
      { start: '2026-11-26T10:00:01.000Z', seizureLike: false },
      { start: '2026-11-26T10:00:02.000Z', seizureLike: true },
    ]);
  });
});
