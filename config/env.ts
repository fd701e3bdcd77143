// Configuration from the environment, validated once at start: a typo is an error, not a default.
import { resolve } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int('must be a whole number').min(0).max(65535, 'must be 0-65535');

export const configSchema = z.object({
  VIGIL_DATA_DIR: z.string().min(1).default('./.vigil'),
  DATABASE_URL: z
    .string()
    .refine(
      (u) => /^mysql:\/\/[^/]+\/[A-Za-z0-9_$]+/.test(u),
      'must look like mysql://user:password@host:3306/database',
    )
    .optional(),
  VIGIL_INGEST_PORT: port.default(8080),
  VIGIL_DASHBOARD_PORT: port.default(3000),
  VIGIL_HOST: z.string().min(1).default('127.0.0.1'),
  VIGIL_SESSION_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  VIGIL_DEVICE_SILENT_SECONDS: z.coerce.number().positive().default(60),
  VIGIL_TECHNICAL_CHECK_SECONDS: z.coerce.number().positive().default(15),
  K_SINK: z.string().url().optional(),
  PORT: port.optional(),
  FUNCTION_TARGET: z.string().optional(),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string };

/** Every VIGIL_* variable must be one we know, so a misspelt setting fails loudly. */
const KNOWN = new Set(Object.keys(configSchema.shape));

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const unknown = Object.keys(env).filter(
    (k) =>
      k.startsWith('VIGIL_') && !KNOWN.has(k) && !k.startsWith('VIGIL_TEST_') && k !== 'VIGIL_SHARED_DIR',
  );
  if (unknown.length)
    throw new ConfigError(`unknown setting ${unknown.join(', ')} (known: ${[...KNOWN].join(', ')})`);
  const picked = Object.fromEntries([...KNOWN].map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const r = configSchema.safeParse(picked);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return { ...r.data, dataDir: resolve(r.data.VIGIL_DATA_DIR) };
}
