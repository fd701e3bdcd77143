// Every deployable target of the one container image (`FUNCTION_TARGET`), also the Knative Service names.
export const FUNCTION_TARGETS = [
  'ingest',
  'seizure-detector',
  'heart-rate-monitor',
  'recorder',
  'dashboard',
  'technical-alarms',
] as const;
export type FunctionTarget = (typeof FUNCTION_TARGETS)[number];
