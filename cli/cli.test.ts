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
    expect(short.err).toMatch(/--password-stdin: password must be at least 12/);
    expect(vigil(['tokens', 'create', '--user', 'ghost']).code).toBe(2);
    expect(vigil(['frobnicate']).code).toBe(2);
    const typo = vigil(['migrate'], undefined, { VIGIL_INGEST_PROT: '1' });
    expect(typo.code).toBe(2);
    expect(typo.err).toMatch(/unknown setting VIGIL_INGEST_PROT/);
    expect(vigil(['migrate'], undefined, { VIGIL_PUBLIC_URL: 'https://vigil.example.org' }).code).toBe(0);
    const ftp = vigil(['migrate'], undefined, { VIGIL_PUBLIC_URL: 'ftp://vigil.example.org' });
    expect(ftp.code).toBe(2);
    expect(ftp.err).toMatch(/VIGIL_PUBLIC_URL/);
    expect(vigil(['migrate'], undefined, { VIGIL_SECURE_COOKIES: '1' }).err).toMatch(
      /unknown setting VIGIL_SECURE_COOKIES/,
    );
    const badPort = vigil(['migrate'], undefined, { VIGIL_INGEST_PORT: 'eighty' });
    expect(badPort.code).toBe(2);
    expect(badPort.err).toMatch(/VIGIL_INGEST_PORT/);
  });

  it('refuses common, repeated and sequential passwords with the reason', () => {
    for (const [pw, reason] of [
      ['aaaaaaaaaaaa', /repeats the same character/],
      ['password1234', /common/],
      ['qwertyuiop12', /common|keyboard/],
      ['abcdefghijkl', /sequence/],
    ] as const) {
      const r = vigil(
        ['users', 'add', '--username', 'weak', '--role', 'clinician', '--password-stdin'],
        `${pw}\n`,
      );
      expect(r.code, pw).toBe(2);
      expect(r.err, pw).toMatch(reason);
    }
    expect(vigil(['users', 'list']).out).not.toContain('weak');
  });

  it('lists, scopes, expires and revokes API tokens; disables, enables and resets users, all audited', () => {
    const add = vigil(
      ['users', 'add', '--username', 'ops', '--role', 'admin', '--password-stdin'],
      'staple orbit lantern\n',
    );
    expect(add.code, add.err).toBe(0);
    const t = JSON.parse(vigil(['tokens', 'create', '--user', 'ops', '--days', '7', '--json']).out);
    expect(t.scope).toBe('read-only');
    expect(Date.parse(t.expiresAt) - Date.now()).toBeGreaterThan(6.9 * 86400_000);
    const rw = JSON.parse(
      vigil(['tokens', 'create', '--user', 'ops', '--scope', 'read-write', '--json']).out,
    );
    expect(rw.scope).toBe('read-write');
    expect(vigil(['tokens', 'create', '--user', 'ops', '--scope', 'root']).code).toBe(2);
    expect(vigil(['tokens', 'create', '--user', 'ops', '--days', '400']).code).toBe(2);
    const listed = JSON.parse(vigil(['tokens', 'list', '--user', 'ops', '--json']).out);
    expect(listed.map((x: { id: number }) => x.id)).toEqual([t.id, rw.id]);
    expect(JSON.stringify(listed)).not.toContain(t.token);
    expect(vigil(['tokens', 'revoke', '--id', String(t.id)]).code).toBe(0);
    expect(vigil(['tokens', 'revoke', '--id', String(t.id)]).code).toBe(1);
    expect(vigil(['tokens', 'list', '--user', 'ops']).out).toMatch(
      new RegExp(`^${t.id}\\tops\\tread-only\\trevoked`, 'm'),
    );
    expect(vigil(['users', 'disable', '--username', 'ops']).code).toBe(0);
    expect(vigil(['users', 'list']).out).toContain('ops\tadmin\tdisabled');
    expect(vigil(['users', 'enable', '--username', 'ops']).code).toBe(0);
    expect(
      vigil(['users', 'reset-password', '--username', 'ops', '--password-stdin'], 'aaaaaaaaaaaaaa\n').code,
    ).toBe(2);
    expect(
      vigil(['users', 'reset-password', '--username', 'ops', '--password-stdin'], 'quartz meadow violin\n')
        .code,
    ).toBe(0);
    const audit = JSON.parse(vigil(['users', 'audit', '--username', 'ops', '--json']).out);
    expect(audit.map((e: { action: string }) => e.action).reverse()).toEqual([
      'user-created',
      'token-created',
      'token-created',
      'token-revoked',
      'user-disabled',
      'user-enabled',
      'password-reset',
    ]);
    expect(audit.every((e: { actor: string }) => e.actor === 'cli')).toBe(true);
  });

  it('migrate reports an up-to-date database', () => {
    const m = vigil(['migrate']);
    expect(m.code).toBe(0);
    expect(m.out).toMatch(/up to date|applied/);
  });
});
