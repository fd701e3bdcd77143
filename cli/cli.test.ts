// The `vigil` command as a user runs it: a real process, real storage, exit codes and JSON output.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));

function vigil(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/vigil.js'), ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    env: { ...process.env, VIGIL_DATA_DIR: dataDir, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('vigil CLI', () => {
  it('adds a patient and enrols a device with JSON output', () => {
    const p = vigil(['patients', 'add', '--id', 'cli-1', '--name', 'Grace Hopper', '--json']);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.out)).toEqual({ id: 'cli-1', name: 'Grace Hopper' });
    const d = vigil(['devices', 'enroll', '--patient', 'cli-1', '--json']);
    expect(d.code).toBe(0);
    const dev = JSON.parse(d.out);
    expect(dev).toMatchObject({ patientId: 'cli-1' });
    expect(dev.token).toMatch(/^vgl_dev_/);
    const list = vigil(['devices', 'list', '--patient', 'cli-1', '--json']);
    expect(JSON.parse(list.out)[0].id).toBe(dev.deviceId);
    expect(list.out).not.toContain(dev.token);
  });

  it('retires and revokes devices, and says so when the device is not active', () => {
    const a = JSON.parse(vigil(['devices', 'enroll', '--patient', 'cli-1', '--json']).out);
    const b = JSON.parse(vigil(['devices', 'enroll', '--patient', 'cli-1', '--json']).out);
    const retired = vigil(['devices', 'retire', '--device', a.deviceId]);
    expect(retired.code, retired.err).toBe(0);
    expect(retired.out).toContain(`retired device ${a.deviceId}`);
    expect(vigil(['devices', 'revoke', '--device', b.deviceId]).code).toBe(0);
    const again = vigil(['devices', 'retire', '--device', a.deviceId]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/active device .* not found/);
    const states = Object.fromEntries(
      (
        JSON.parse(vigil(['devices', 'list', '--patient', 'cli-1', '--json']).out) as Array<{
          id: string;
          retiredAt: number | null;
          revokedAt: number | null;
        }>
      ).map((d) => [d.id, [d.retiredAt !== null, d.revokedAt !== null]]),
    );
    expect(states[a.deviceId]).toEqual([true, false]);
    expect(states[b.deviceId]).toEqual([false, true]);
    expect(vigil(['devices', 'list', '--patient', 'cli-1']).out).toMatch(
      new RegExp(`${a.deviceId}\\t.*\\tretired`),
    );
  });

  it('creates a user from stdin and an API token printed once', () => {
    const u = vigil(
      ['users', 'add', '--username', 'nurse', '--role', 'clinician', '--password-stdin'],
      'correct horse battery\n',
    );
    expect(u.code, u.err).toBe(0);
    const t = vigil(['tokens', 'create', '--user', 'nurse', '--json']);
    expect(t.code, t.err).toBe(0);
    expect(JSON.parse(t.out).token).toEqual(expect.any(String));
    expect(vigil(['users', 'list']).out).toContain('nurse\tclinician');
  });

  it('answers bad input with a message and exit code 2, a missing patient with 1', () => {
    expect(vigil(['patients', 'add', '--id', 'x']).code).toBe(2);
    expect(vigil(['patients', 'add', '--id', 'bad id', '--name', 'y']).code).toBe(2);
    expect(vigil(['devices', 'enroll', '--patient', 'nobody']).code).toBe(1);
    expect(
      vigil(['users', 'add', '--username', 'a', '--role', 'surgeon', '--password-stdin'], 'x\n').code,
    ).toBe(2);
    const short = vigil(
      ['users', 'add', '--username', 'b', '--role', 'admin', '--password-stdin'],
      'short\n',
    );
    expect(short.code).toBe(2);
    expect(short.err).toMatch(/--password-stdin: password must be at least 10/);
    expect(vigil(['tokens', 'create', '--user', 'ghost']).code).toBe(2);
    expect(vigil(['frobnicate']).code).toBe(2);
    const typo = vigil(['migrate'], undefined, { VIGIL_INGEST_PROT: '1' });
    expect(typo.code).toBe(2);
    expect(typo.err).toMatch(/unknown setting VIGIL_INGEST_PROT/);
    const badPort = vigil(['migrate'], undefined, { VIGIL_INGEST_PORT: 'eighty' });
    expect(badPort.code).toBe(2);
    expect(badPort.err).toMatch(/VIGIL_INGEST_PORT/);
  });

  it('migrate reports an up-to-date database', () => {
    const m = vigil(['migrate']);
    expect(m.code).toBe(0);
    expect(m.out).toMatch(/up to date|applied/);
  });
});
