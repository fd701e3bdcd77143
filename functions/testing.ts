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
