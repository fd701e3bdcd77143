// The admin page's accounts section: users (disable, enable, reset a password), API tokens (create
// with a scope and an expiry, shown once; revoke) and the account audit log. Its own module so the
// device and patient sections of the admin page evolve apart from it.
import { html } from 'hono/html';
import type { AccountAuditEntry } from '../../storage/account-audit-store.ts';
import {
  type ApiTokenInfo,
  TOKEN_DEFAULT_DAYS,
  TOKEN_MAX_DAYS,
  type UserSummary,
} from '../../storage/users-store.ts';
import { timeEl } from './format.ts';

export interface AccountsView {
  users: UserSummary[];
  tokens: ApiTokenInfo[];
  audit: AccountAuditEntry[];
  now: number;
  csrf: string;
  /** A token just created: shown once. */
  created?: { id: number; username: string; token: string };
}

const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`;

function tokenState(t: ApiTokenInfo, now: number): string {
  if (t.revokedAt !== null) return 'revoked';
  return t.expiresAt !== null && t.expiresAt <= now ? 'expired' : 'active';
}

export function accountsSection(v: AccountsView) {
  return html`<section class="card" aria-labelledby="acc-h" id="accounts"><h2 id="acc-h">Users</h2>
<div class="scroll"><table><thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">Password changed</th><th scope="col">Actions</th></tr></thead>
<tbody>${v.users.map(
    (
      u,
    ) => html`<tr><td>${u.username}</td><td>${u.role}</td><td>${u.disabled ? 'disabled' : 'active'}</td><td>${timeEl(u.passwordChangedAt)}</td><td>
<form method="post" action="/admin/users/${encodeURIComponent(u.username)}/${u.disabled ? 'enable' : 'disable'}">${csrfField(v.csrf)}<button type="submit">${u.disabled ? 'Enable' : 'Disable'}</button></form>
<form method="post" action="/admin/users/${encodeURIComponent(u.username)}/reset-password">${csrfField(v.csrf)}<label>New password for ${u.username} <input name="password" type="password" autocomplete="new-password" required minlength="12" maxlength="128"></label><button type="submit">Reset password</button></form>
</td></tr>`,
  )}</tbody></table></div></section>
<section class="card" aria-labelledby="tok-h" id="tokens"><h2 id="tok-h">API tokens</h2>
${
  v.created
    ? html`<p><strong>API token ${v.created.id} for ${v.created.username} — copy it now, it is shown only once:</strong></p><pre class="token" id="api-token" tabindex="0">${v.created.token}</pre>`
    : ''
}
<form method="post" action="/admin/tokens">${csrfField(v.csrf)}
  <label>User <select name="username" required>${v.users.filter((u) => !u.disabled).map((u) => html`<option value="${u.username}">${u.username}</option>`)}</select></label>
  <label>Scope <select name="scope"><option value="read-only">read-only</option><option value="read-write">read-write</option></select></label>
  <label>Days valid <input name="days" type="number" min="1" max="${TOKEN_MAX_DAYS}" value="${TOKEN_DEFAULT_DAYS}" required></label>
  <label>Label <input name="label" maxlength="128" placeholder="what uses it"></label>
  <button type="submit">Create token</button>
</form>
${
  v.tokens.length === 0
    ? html`<p class="empty">No API tokens.</p>`
    : html`<div class="scroll"><table><thead><tr><th scope="col">Id</th><th scope="col">User</th><th scope="col">Label</th><th scope="col">Scope</th><th scope="col">State</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Revoke</th></tr></thead>
<tbody>${v.tokens.map((t) => {
        const state = tokenState(t, v.now);
        return html`<tr><td>${t.id}</td><td>${t.username}</td><td>${t.label}</td><td>${t.scope}</td><td>${state}</td><td>${timeEl(t.expiresAt)}</td><td>${timeEl(t.lastUsedAt)}</td><td>${
          state === 'revoked'
            ? ''
            : html`<form method="post" action="/admin/tokens/${t.id}/revoke">${csrfField(v.csrf)}<button type="submit">Revoke</button></form>`
        }</td></tr>`;
      })}</tbody></table></div>`
}</section>
<section class="card" aria-labelledby="aud-h"><h2 id="aud-h">Account audit log</h2>
${
  v.audit.length === 0
    ? html`<p class="empty">Nothing yet.</p>`
    : html`<div class="scroll"><table><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Account</th><th scope="col">By</th><th scope="col">From</th><th scope="col">Detail</th></tr></thead>
<tbody>${v.audit.map(
        (e) =>
          html`<tr><td>${timeEl(e.at)}</td><td>${e.action}</td><td>${e.username}</td><td>${e.actor}</td><td>${e.clientIp ?? ''}</td><td>${e.detail}</td></tr>`,
      )}</tbody></table></div>`
}</section>`;
}
