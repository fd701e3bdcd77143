// Test helper: functions that hold every event until released, so a test can fill the broker.
import type { VigilFunction } from '../eventing/subscriber.ts';

export function heldFunctions(names: readonly string[]): {
  functions: Map<string, VigilFunction>;
  release: () => void;
} {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const held = (name: string): VigilFunction => ({
    name,
    handle: async () => {
      await gate;
      return [];
    },
  });
  return { functions: new Map(names.map((n) => [n, held(n)])), release };
}

/** The real recorder with every other subscriber answering nothing: what ingest tests need. */
export async function recorderOnly(): Promise<Map<string, VigilFunction>> {
  const { recorder } = await import('./recorder/index.ts');
  const quiet = (name: string): VigilFunction => ({ name, handle: async () => [] });
  return new Map<string, VigilFunction>([
    ['recorder', recorder],
    ['seizure-detector', quiet('seizure-detector')],
    ['heart-rate-monitor', quiet('heart-rate-monitor')],
    ['technical-alarms', quiet('technical-alarms')],
  ]);
}
