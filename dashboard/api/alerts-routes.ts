// Alert inbox API: list with filters (keyset pages), one alert with its audit trail, acknowledge, clear.
import { Hono } from 'hono';
import { type AuditEntry, alertAudit } from '../../storage/alert-audit.ts';
import { getAlert, InvalidCursorError, listAlerts, MAX_ALERT_PAGE } from '../../storage/alert-queries.ts';
import { ALERT_KINDS, PRIORITIES, SEVERITIES } from '../../storage/alert-vocabulary.ts';
import { type Alert, AlertTransitionError } from '../../storage/alerts-store.ts';
import type { AppEnv, DashboardDeps } from '../context.ts';
import { acknowledge, clear } from '../data/alert-actions.ts';
import { optionalString, readBody } from '../http/body.ts';
import { badParam, parseEnum, parseIntParam } from '../http/params.ts';

const STATUSES = ['open', 'raised', 'acknowledged', 'cleared'] as const;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function alertJson(a: Alert) {
  return {
    ...a,
    raisedAt: iso(a.raisedAt),
    conditionEndedAt: iso(a.conditionEndedAt),
    acknowledgedAt: iso(a.acknowledgedAt),
    clearedAt: iso(a.clearedAt),
    escalatedAt: iso(a.escalatedAt),
    updatedAt: iso(a.updatedAt),
  };
}

export function auditJson(e: AuditEntry) {
  return { ...e, at: iso(e.at) };
}

/** Clearing by hand takes an alert off the open list whatever its condition: it needs a reason. */
function clearReason(body: Record<string, unknown>): string {
  const reason = (optionalString(body, 'reason', 2000) ?? '').trim();
  if (!reason) throw badParam('reason', 'give a reason for clearing this alert by hand', 'body', 422);
  return reason;
}

export function alertsRoutes(deps: DashboardDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/api/alerts', async (c) => {
    const q = (k: string) => c.req.query(k);
    const patient = q('patient');
    if (patient !== undefined && patient !== '' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(patient))
      throw badParam('patient', 'patient must be a patient id');
    try {
      const page = await listAlerts(deps.db, {
        status: parseEnum('status', q('status'), STATUSES),
        patientId: patient || undefined,
        severity: parseEnum('severity', q('severity'), SEVERITIES),
        priority: parseEnum('priority', q('priority'), PRIORITIES),
        kind: parseEnum('kind', q('kind'), ALERT_KINDS),
        category: parseEnum('category', q('category'), ['patient', 'technical'] as const),
        limit: parseIntParam('limit', q('limit'), 50, 1, MAX_ALERT_PAGE),
        cursor: q('cursor') || undefined,
      });
      return c.json({ ...page, items: page.items.map(alertJson) });
    } catch (err) {
      if (err instanceof InvalidCursorError) throw badParam('cursor', err.message);
      throw err;
    }
  });

  app.get('/api/alerts/:id', async (c) => {
    const id = c.req.param('id');
    const a = await getAlert(deps.db, id);
    if (!a) throw badParam('id', `no alert ${id}`, 'path', 404);
    return c.json({ ...alertJson(a), audit: (await alertAudit(deps.db, id)).map(auditJson) });
  });

  const transition = (kind: 'ack' | 'clear') =>
    app.post(`/api/alerts/:id/${kind}`, async (c) => {
      const id = c.req.param('id');
      const body = await readBody(c);
      const by = c.get('user').username;
      const at = deps.now();
      try {
        const a =
          kind === 'ack'
            ? await acknowledge(deps.db, {
                alertId: id,
                by,
                at,
                note: optionalString(body, 'note', 2000) ?? '',
              })
            : await clear(deps.db, { alertId: id, by, at, reason: clearReason(body) });
        return c.json({ ...alertJson(a), audit: (await alertAudit(deps.db, id)).map(auditJson) });
      } catch (err) {
        if (err instanceof AlertTransitionError)
          throw badParam('id', err.message, 'path', err.httpStatus, { code: err.code, alertId: id });
        throw err;
      }
    });
  transition('ack');
  transition('clear');
  return app;
}
