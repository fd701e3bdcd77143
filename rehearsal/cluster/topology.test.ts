// The topology the rehearsal runs, read from the real rendered dev overlay.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { render } from '../../knative/tools/kustomize.ts';
import { topologyFrom, withSecrets } from './topology.ts';

const dev = render(path.resolve(import.meta.dirname, '../../knative/overlays/dev')).resources;

describe('the dev overlay as the rehearsal reads it', () => {
  const t = topologyFrom(
    withSecrets(dev, {
      'vigil-db': { url: 'mysql://u:p@127.0.0.1:3306/vigil_t_x' },
      'vigil-session': { 'session-secret': 's'.repeat(40) },
    }),
  );
  const svc = (n: string) => t.services.find((s) => s.name === n)!;

  it('has the six Services; the four Trigger subscribers are the event functions', () => {
    expect(t.services.map((s) => s.name).sort()).toEqual([
      'dashboard',
      'heart-rate-monitor',
      'ingest',
      'recorder',
      'seizure-detector',
      'technical-alarms',
    ]);
    expect(
      t.services
        .filter((s) => s.subscriber)
        .map((s) => s.name)
        .sort(),
    ).toEqual(['heart-rate-monitor', 'recorder', 'seizure-detector', 'technical-alarms']);
  });

  it('gives K_SINK to the SinkBinding subjects only', () => {
    expect(
      t.services
        .filter((s) => s.sinkBound)
        .map((s) => s.name)
        .sort(),
    ).toEqual(['heart-rate-monitor', 'ingest', 'seizure-detector', 'technical-alarms']);
  });

  it('takes env, Secrets, containerConcurrency, timeouts and probes from the manifests', () => {
    expect(svc('seizure-detector').env).toEqual({
      FUNCTION_TARGET: 'seizure-detector',
      DATABASE_URL: 'mysql://u:p@127.0.0.1:3306/vigil_t_x',
    });
    expect(svc('dashboard').env.VIGIL_SESSION_SECRET).toBe('s'.repeat(40));
    expect(svc('technical-alarms').containerConcurrency).toBe(1);
    expect(svc('seizure-detector').timeoutSeconds).toBe(60);
    expect(svc('recorder').readiness).toMatchObject({
      path: '/healthz',
      periodSeconds: 5,
      failureThreshold: 3,
    });
    expect(svc('recorder').liveness).toMatchObject({ initialDelaySeconds: 10, periodSeconds: 15 });
  });

  it('runs the migrate Job with its own command and env', () => {
    expect(t.job).toMatchObject({
      name: 'vigil-migrate',
      command: ['node', 'dist/cli/main.js', 'migrate'],
      backoffLimit: 10,
    });
    expect(t.job.env.DATABASE_URL).toContain('vigil_t_x');
  });

  it('routes by the Triggers, dead letters to the recorder, the Broker delivery where a Trigger has none', () => {
    expect(t.broker).toBe('default');
    expect(t.namespace).toBe('vigil');
    const check = t.routes.find((r) => r.trigger === 'technical-check-to-technical-alarms')!;
    expect(check.delivery).toMatchObject({
      retry: 5,
      backoffDelayMs: 200,
      deadLetter: 'recorder/dead-letter',
    });
    const all = t.routes.find((r) => r.trigger === 'all-to-recorder')!;
    expect([all.filter, all.delivery.retry]).toEqual([{}, 10]);
  });

  it('sends the PingSource to technical-alarms', () => {
    expect(t.pingSources).toEqual([
      expect.objectContaining({ name: 'technical-check', schedule: '* * * * *', sink: 'technical-alarms' }),
    ]);
  });

  it('refuses a Trigger whose subscriber is no Service', () => {
    const broken = dev.map((r) =>
      r.kind === 'Trigger' && r.metadata.name === 'all-to-recorder'
        ? { ...r, spec: { ...(r.spec as object), subscriber: { ref: { kind: 'Service', name: 'nobody' } } } }
        : r,
    );
    expect(() => topologyFrom(broken)).toThrow(/no Service nobody/);
  });
});
