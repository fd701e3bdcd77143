// Account pages: every user changes their own password (/account); admins disable, enable and reset
// accounts and create and revoke API tokens (the accounts section of /admin). Each change is audited
// in the store that makes it, with the acting user and their address.
import { type Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { accountAudit } from '../../storage/account-audit-store.ts';
import { PASSWORD_POLICY } from '../../storage/password-policy.ts';
import {
  changeOwnPassword,
  createApiToken,
  getUserByUsername,
  isTokenScope,
  listApiTokens,
  listUserSummaries,
  revokeApiToken,
  setPassword,
  setUserDisabled,
  UserInputError,
} from '../../storage/users-store.ts';
import { clientIp } from '../auth/client-ip.ts';
import { requireRole, sessionCookieName } from '../auth/middleware.ts';
import type { AppEnv, DashboardDeps } from '../context.ts';
import { type AccountsView, accountsSection } from './admin-accounts.ts';
import { type Html, page } from './layout.ts';

export async function accountsView(deps: DashboardDeps, csrf: string): Promise<AccountsView> {
  return {
    users: await listUserSummaries(deps.db),
    tokens: await listApiTokens(deps.db),
    audit: await accountAudit(deps.db, { limit: 50 }),
    now: deps.now(),
    csrf,
  };
}

const field = (form: Record<string, unknown>, name: string) =>
  typeof form[name] === 'string' ? (form[name] as string) : '';

export function accountRoutes(deps: DashboardDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const show = (c: Context<AppEnv>, title: string, body: Html, status: 200 | 400 | 404 = 200) =>
    c.html(page({ title, user: c.get('user'), csrfToken: c.get('session')?.csrfToken }, body), status);
  const message = (kind: 'ok' | 'error', text: string) =>
    html`<p class="${kind === 'ok' ? 'ok' : 'error'} card" role="${kind === 'ok' ? 'status' : 'alert'}">${text}</p>`;
  const passwordForm = (c: Context<AppEnv>, note?: Html) =>
    html`<h1>Your account</h1>${note ?? ''}<section class="card" aria-labelledby="pw-h"><h2 id="pw-h">Change your password</h2>
<p class="small">${PASSWORD_POLICY.minLength}-${PASSWORD_POLICY.maxLength} characters; a phrase of unrelated words works well. Common passwords, repeats and sequences are refused. Your other sessions end.</p>
<form method="post" action="/account/password"><input type="hidden" name="_csrf" value="${c.get('session')?.csrfToken ?? ''}">
  <label>Current password <input name="current" type="password" autocomplete="current-password" required></label>
  <label>New password <input name="password" type="password" autocomplete="new-password" required minlength="${PASSWORD_POLICY.minLength}" maxlength="${PASSWORD_POLICY.maxLength}"></label>
  <button type="submit">Change password</button>
</form></section>`;

  app.get('/account', (c) => show(c, 'Your account', passwordForm(c)));

  app.post('/account/password', async (c) => {
    const session = c.get('session');
    if (!session)
      return show(c, 'Your account', message('error', 'Sign in with your password to change it.'), 400);
    const form = await c.req.parseBody();
    try {
      await changeOwnPassword(
        deps.db,
        await deps.secret(),
        {
          username: c.get('user').username,
          current: field(form, 'current'),
          password: field(form, 'password'),
          session: getCookie(c, sessionCookieName(deps.secureCookies)) ?? '',
          clientIp: clientIp(c, deps.trustedProxies),
        },
        deps.now(),
      );
    } catch (err) {
      if (!(err instanceof UserInputError)) throw err;
      return show(c, 'Your account', passwordForm(c, message('error', err.message)), 400);
    }
    return show(
      c,
      'Your account',
      passwordForm(c, message('ok', 'Password changed; your other sessions have ended.')),
    );
  });

  const admin = requireRole('admin');
  const back = html`<p><a href="/admin#accounts">Back to the admin page</a></p>`;
  const done = (c: Context<AppEnv>, text: string, status: 200 | 400 | 404 = 200) =>
    show(
      c,
      'Accounts',
      html`<h1>Accounts</h1>${message(status === 200 ? 'ok' : 'error', text)}${back}`,
      status,
    );

  for (const action of ['disable', 'enable'] as const)
    app.post(`/admin/users/:username/${action}`, admin, async (c) => {
      const username = c.req.param('username');
      try {
        await setUserDisabled(
          deps.db,
          { username, disabled: action === 'disable', actor: c.get('user').username },
          deps.now(),
        );
      } catch (err) {
        if (!(err instanceof UserInputError)) throw err;
        return done(c, err.message, 400);
      }
      return done(c, `${username} ${action}d${action === 'disable' ? '; their sessions have ended' : ''}.`);
    });

  app.post('/admin/users/:username/reset-password', admin, async (c) => {
    const username = c.req.param('username');
    const form = await c.req.parseBody();
    try {
      await setPassword(
        deps.db,
        await deps.secret(),
        {
          username,
          password: field(form, 'password'),
          actor: c.get('user').username,
          action: 'password-reset',
          clientIp: clientIp(c, deps.trustedProxies),
        },
        deps.now(),
      );
    } catch (err) {
      if (!(err instanceof UserInputError)) throw err;
      return done(c, err.message, 400);
    }
    return done(c, `Password of ${username} reset; every session of ${username} has ended.`);
  });

  app.post('/admin/tokens', admin, async (c) => {
    const form = await c.req.parseBody();
    const username = field(form, 'username');
    const user = await getUserByUsername(deps.db, username);
    if (!user) return done(c, `There is no user “${username}”.`, 400);
    const scope = field(form, 'scope') || 'read-only';
    if (!isTokenScope(scope)) return done(c, 'Scope: read-only or read-write.', 400);
    let created: Awaited<ReturnType<typeof createApiToken>>;
    try {
      created = await createApiToken(
        deps.db,
        await deps.secret(),
        {
          userId: user.id,
          label: field(form, 'label') || `admin page ${new Date(deps.now()).toISOString()}`,
          scope,
          days: Number(field(form, 'days')),
          actor: c.get('user').username,
        },
        deps.now(),
      );
    } catch (err) {
      if (!(err instanceof UserInputError)) throw err;
      return done(c, err.message, 400);
    }
    const view = await accountsView(deps, c.get('session')?.csrfToken ?? '');
    return show(
      c,
      'Accounts',
      html`<h1>Accounts</h1>${accountsSection({ ...view, created: { id: created.id, username, token: created.token } })}${back}`,
    );
  });

  app.post('/admin/tokens/:id/revoke', admin, async (c) => {
    const id = Number(c.req.param('id'));
    const ok =
      Number.isInteger(id) && (await revokeApiToken(deps.db, id, deps.now(), c.get('user').username));
    return ok
      ? done(c, `Token ${id} revoked.`)
      : done(c, `There is no active token ${c.req.param('id')}.`, 404);
  });
  return app;
}
