// The one door for the environment: every variable Vigil reads is declared here and validated once.
// The runtime settings (what the image, the Knative manifests and `vigil up` set) are `loadConfig`'s;
// the development tools' (tests, benchmarks, training, post-deploy checks) are `toolSettings`'.
// A typo is an error, not a default: an unknown VIGIL_* variable stops the process.
import { BlockList, isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ALERT_KINDS, type AlertKind, PRIORITIES, type Priority } from '../storage/alert-vocabulary.ts';
import { projectPath } from './project-root.ts';

const port = z.coerce.number().int('must be a whole number').min(0).max(65535, 'must be 0-65535');
const seconds = z.coerce.number().positive('must be a positive number of seconds');
const flag = z.enum(['0', '1'], { message: 'must be 0 or 1' }).transform((v) => v === '1');
const mysqlUrl = z
  .string()
  .refine(
    (u) => /^mysql:\/\/[^/]+\/[A-Za-z0-9_$]+/.test(u),
    'must look like mysql://user:password@host:3306/database',
  );

/** Where clinicians reach the dashboard: an origin (scheme, host, port), http or https, no path. */
const publicUrl = z.string().transform((v, ctx) => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a URL such as https://vigil.example.org' });
    return z.NEVER;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    ctx.addIssue({ code: 'custom', message: 'must start with https:// (or http:// without TLS)' });
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username || u.password)
    ctx.addIssue({ code: 'custom', message: 'must be an origin only, without path, query or credentials' });
  return new URL(u.origin);
});

/** Comma-separated addresses or CIDR ranges of the reverse proxies whose X-Forwarded-For is believed. */
const trustedProxies = z.string().transform((v, ctx) => {
  const list = new BlockList();
  for (const raw of v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [addr, bits, extra] = raw.split('/');
    const family = isIP(addr ?? '');
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (
      !family ||
      extra !== undefined ||
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > (family === 6 ? 128 : 32)
    ) {
      ctx.addIssue({
        code: 'custom',
        message: `"${raw}" is not an IP address or CIDR range (e.g. 10.0.0.0/8)`,
      });
      return z.NEVER;
    }
    list.addSubnet(addr!, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
});
/** `kind=priority,...` (e.g. `eeg-clipping=medium,hr-implausible=medium`): alarm priorities overridden per kind. */
const alarmPriorities = z.string().transform((v, ctx) => {
  const out: Partial<Record<AlertKind, Priority>> = {};
  for (const part of v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [kind, priority, extra] = part.split('=').map((x) => x.trim());
    if (
      extra !== undefined ||
      !(ALERT_KINDS as readonly string[]).includes(kind ?? '') ||
      !(PRIORITIES as readonly string[]).includes(priority ?? '')
    ) {
      ctx.addIssue({
        code: 'custom',
        message: `"${part}" is not kind=priority (kinds: ${ALERT_KINDS.join(', ')}; priorities: ${PRIORITIES.join(', ')})`,
      });
      return z.NEVER;
    }
    out[kind as AlertKind] = priority as Priority;
  }
  return out;
});
const bpm = z.coerce.number().positive('must be a positive number of beats per minute');

/** An IANA time zone name the runtime's Intl knows (e.g. Europe/Rome). */
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as Europe/Rome or UTC');

export const configSchema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).optional(),
  VIGIL_DATA_DIR: z.string().min(1).default('./.vigil'),
  DATABASE_URL: mysqlUrl.optional(),
  VIGIL_INGEST_PORT: port.default(8080),
  VIGIL_DASHBOARD_PORT: port.default(3000),
  /** Address to listen on; unset: 127.0.0.1 for `vigil up`, 0.0.0.0 in a container. */
  VIGIL_HOST: z.string().min(1).optional(),
  VIGIL_SESSION_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  /** The dashboard's public origin; https:// turns on Secure __Host- cookies and HSTS. */
  VIGIL_PUBLIC_URL: publicUrl.optional(),
  /** Reverse proxies (ingress, load balancer) allowed to name the client in X-Forwarded-For. */
  VIGIL_TRUSTED_PROXIES: trustedProxies.optional(),
  /** Port of the Prometheus /metrics listener, apart from the public port (0 picks a free one). */
  VIGIL_METRICS_PORT: port.default(9464),
  VIGIL_DEVICE_SILENT_SECONDS: seconds.default(60),
  VIGIL_TECHNICAL_CHECK_SECONDS: seconds.default(15),
  /** Alarm priorities per kind, overriding storage/alert-vocabulary.ts DEFAULT_PRIORITIES. */
  VIGIL_ALARM_PRIORITIES: alarmPriorities.default({}),
  /** A heart-rate alarm sustained beyond these extreme limits is high priority (otherwise medium). */
  VIGIL_HR_EXTREME_LOW_BPM: bpm.default(40),
  VIGIL_HR_EXTREME_HIGH_BPM: bpm.default(150),
  /** A high-priority alarm unacknowledged this long (s) escalates (announced again, org.vigil.alert.escalated). */
  VIGIL_ESCALATION_DELAY_S: seconds.default(120),
  /** How far (s) a sample or EEG chunk may be stamped ahead of ingest's clock before it is refused (422). */
  VIGIL_MAX_CLOCK_SKEW_S: seconds.default(30),
  VIGIL_SEIZURE_MODEL_DIR: z.string().min(1).optional(),
  /** The ward's time zone: every time on the dashboard is shown in it, whatever the viewer's device says. */
  VIGIL_WARD_TIMEZONE: timeZone.default('UTC'),
  /** Knative: the broker ingress a SinkBinding injects. */
  K_SINK: z.string().url().optional(),
  /** Knative: the port the container must serve on. */
  PORT: port.optional(),
  /** Which function the image serves (cli/commands/serve.ts checks the name). */
  FUNCTION_TARGET: z.string().optional(),
});

export const toolSettingsSchema = z.object({
  /** ../shared (data, schemas) for data tests, training and measurement scripts. */
  VIGIL_SHARED_DIR: z.string().min(1).optional(),
  VIGIL_TEST_MYSQL_URL: mysqlUrl.optional(),
  VIGIL_SMOKE_PATIENT_ID: z.string().min(1).optional(),
  VIGIL_SMOKE_DEVICE_ID: z.string().min(1).optional(),
  VIGIL_SMOKE_DEVICE_TOKEN: z.string().min(1).optional(),
  VIGIL_SMOKE_API_TOKEN: z.string().min(1).optional(),
  /** The deploy workflows: the public domain, and the address (Kourier's) a runner connects to. */
  VIGIL_DOMAIN: z.string().min(1).optional(),
  VIGIL_CONNECT_TO: z.string().min(1).optional(),
  BENCH_WARMUP_S: z.coerce.number().min(0).optional(),
  BENCH_DATA_DIR: z.string().min(1).optional(),
  BENCH_DATABASE_URL: mysqlUrl.optional(),
  BENCH_DETECTION_THREADS: z.coerce.number().int().min(0).optional(),
  BENCH_DEVICES: z.coerce.number().int().min(1).optional(),
  BENCH_MEM: flag.optional(),
  BENCH_CPU_PROF: z.string().min(1).optional(),
  BENCH_SERVER: z.enum(['hono', 'functions-framework']).optional(),
  BASELINE_MYSQL_URL: mysqlUrl.optional(),
  BASELINE_PREDICTOR_URL: z.string().url().optional(),
  SINK_PARSE: z.enum(['eeg-json']).optional(),
  CV_CANDIDATES: z.string().min(1).optional(),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string };
export type ToolSettings = z.infer<typeof toolSettingsSchema>;

/** Every VIGIL_* variable must be one we know, so a misspelt setting fails loudly. */
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.keys(configSchema.shape),
  ...Object.keys(toolSettingsSchema.shape),
]);

export class ConfigError extends Error {}

function parse<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const unknown = Object.keys(env).filter((k) => k.startsWith('VIGIL_') && !KNOWN_VARIABLES.has(k));
  if (unknown.length)
    throw new ConfigError(
      `unknown setting ${unknown.join(', ')} (known: ${[...KNOWN_VARIABLES].filter((k) => k.startsWith('VIGIL_')).join(', ')})`,
    );
  // An empty variable means unset, as in a shell's VAR= .
  const picked = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const r = schema.safeParse(picked);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return r.data;
}

/** The runtime settings from env, validated (throws ConfigError). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const data = parse(configSchema, env);
  return { ...data, dataDir: resolve(data.VIGIL_DATA_DIR) };
}

let loaded: Config | undefined;
/** The process's runtime settings, read from process.env on first use. */
export function getConfig(): Config {
  loaded ??= loadConfig();
  return loaded;
}

/** The development tools' settings (tests, benchmarks, training, deploy checks). */
export function toolSettings(env: NodeJS.ProcessEnv = process.env): ToolSettings {
  return parse(toolSettingsSchema, env);
}

/** This process's environment with `extra` added: what a tool passes on to a child process it starts. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/** The shared data folder: VIGIL_SHARED_DIR, or ../shared beside the checkout. */
export function sharedDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(toolSettings(env).VIGIL_SHARED_DIR ?? projectPath('../shared'));
}

/** Where the seizure model is read from: VIGIL_SEIZURE_MODEL_DIR, or models/seizure of the install. */
export function seizureModelDir(config: Config = getConfig()): string {
  return resolve(config.VIGIL_SEIZURE_MODEL_DIR ?? projectPath('models/seizure'));
}
