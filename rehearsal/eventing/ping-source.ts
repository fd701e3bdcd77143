// The rehearsal's PingSource (eventing/pingsource.yaml), a TEST FIXTURE for the cluster path: on every
// minute its cron `schedule` matches (in its timezone; only UTC is supported here), it sends the
// CloudEvent a Knative PingSource sends to its sink: type dev.knative.sources.ping, source
// /apis/v1/namespaces/<ns>/pingsources/<name>, the spec's contentType and data. One attempt per tick,
// in binary mode; a failure is logged and the next tick comes a schedule period later.
import { randomUUID } from 'node:crypto';
import type { WireEvent } from './cloudevent-http.ts';
import { deliverOnce } from './delivery.ts';

export interface PingSourceSpec {
  namespace: string;
  name: string;
  schedule: string;
  timezone?: string | undefined;
  contentType?: string | undefined;
  data?: string | undefined;
}

type Field = Set<number>;

const RANGES: Array<[number, number]> = [
  [0, 59], // minute
  [0, 23], // hour
  [1, 31], // day of month
  [1, 12], // month
  [0, 6], // day of week (0 = Sunday; 7 also means Sunday)
];

function field(text: string, [lo, hi]: [number, number], dow: boolean): Field {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(?:(\*)|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`cron field "${text}": cannot read "${part}"`);
    const star = m[1] !== undefined;
    const start = star ? lo : Number(m[2]);
    // `5/15` means from 5 to the end in steps of 15.
    const end = star ? hi : m[3] !== undefined ? Number(m[3]) : m[4] ? hi : start;
    const step = m[4] ? Number(m[4]) : 1;
    if (start < lo || end > (dow ? 7 : hi) || start > end || step < 1)
      throw new Error(`cron field "${text}": ${part} is outside ${lo}-${hi}`);
    for (let v = start; v <= end; v += step) out.add(dow && v === 7 ? 0 : v);
  }
  return out;
}

export interface Cron {
  minute: Field;
  hour: Field;
  dom: Field;
  month: Field;
  dow: Field;
  domStar: boolean;
  dowStar: boolean;
}

/** A standard 5-field cron expression (minute hour day-of-month month day-of-week). */
export function parseCron(expr: string): Cron {
  const f = expr.trim().split(/\s+/);
  if (f.length !== 5) throw new Error(`cron "${expr}": expected 5 fields`);
  return {
    minute: field(f[0]!, RANGES[0]!, false),
    hour: field(f[1]!, RANGES[1]!, false),
    dom: field(f[2]!, RANGES[2]!, false),
    month: field(f[3]!, RANGES[3]!, false),
    dow: field(f[4]!, RANGES[4]!, true),
    domStar: f[2] === '*',
    dowStar: f[4] === '*',
  };
}

function matchesAt(c: Cron, d: Date): boolean {
  if (!c.minute.has(d.getUTCMinutes()) || !c.hour.has(d.getUTCHours()) || !c.month.has(d.getUTCMonth() + 1))
    return false;
  const dom = c.dom.has(d.getUTCDate());
  const dow = c.dow.has(d.getUTCDay());
  // Vixie cron: when both day fields are restricted, either may match.
  if (!c.domStar && !c.dowStar) return dom || dow;
  return dom && dow;
}

/** The first whole minute after `afterMs` that the expression matches (UTC). */
export function nextRun(c: Cron, afterMs: number): number {
  let t = Math.floor(afterMs / 60_000) * 60_000 + 60_000;
  for (let i = 0; i < 366 * 24 * 60; i++, t += 60_000) if (matchesAt(c, new Date(t))) return t;
  throw new Error('cron expression never matches');
}

export function pingEvent(spec: PingSourceSpec, at: number): WireEvent {
  return {
    attributes: {
      specversion: '1.0',
      id: randomUUID(),
      source: `/apis/v1/namespaces/${spec.namespace}/pingsources/${spec.name}`,
      type: 'dev.knative.sources.ping',
      time: new Date(at).toISOString(),
      ...(spec.data !== undefined ? { datacontenttype: spec.contentType ?? 'text/plain' } : {}),
    },
    data: spec.data !== undefined ? Buffer.from(spec.data) : undefined,
  };
}

export class PingSource {
  private timer: NodeJS.Timeout | undefined;
  private readonly cron: Cron;
  sent = 0;
  failed = 0;

  constructor(
    readonly spec: PingSourceSpec,
    private readonly sink: () => string,
    private readonly log: (line: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    const tz = spec.timezone ?? 'UTC';
    if (!['UTC', 'Etc/UTC'].includes(tz))
      throw new Error(`PingSource ${spec.name}: timezone ${tz} is not supported here`);
    this.cron = parseCron(spec.schedule);
  }

  /** Sends one ping now (what a tick does). */
  async fire(at = this.now()): Promise<boolean> {
    const out = await deliverOnce(this.sink(), pingEvent(this.spec, at), { preferReply: false });
    if (out.kind === 'delivered') this.sent++;
    else {
      this.failed++;
      this.log(`[pingsource/${this.spec.name}] sink answered ${out.status ?? 'nothing'}`);
    }
    return out.kind === 'delivered';
  }

  start(): void {
    const schedule = () => {
      const at = nextRun(this.cron, this.now());
      this.timer = setTimeout(() => {
        void this.fire(at);
        schedule();
      }, at - this.now());
    };
    schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
