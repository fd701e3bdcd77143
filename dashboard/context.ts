// What every dashboard route shares: storage, the clock, the deployment secret and the acting user.
import type { BlockList } from 'node:net';
import type { Db } from '../storage/db.ts';
import type { Role, Session } from '../storage/users-store.ts';
import type { EventPoller } from './live/poller.ts';

export interface DashboardDeps {
  db: Db;
  now(): number;
  /** Keys stored hashes; resolved once from VIGIL_SESSION_SECRET or the database (see resolveSecret). */
  secret(): Promise<string>;
  /** VIGIL_PUBLIC_URL: the origin browsers use; https means Secure __Host- cookies and HSTS. */
  publicUrl: URL | undefined;
  secureCookies: boolean;
  /** VIGIL_TRUSTED_PROXIES: whose X-Forwarded-For names the client. */
  trustedProxies: BlockList | undefined;
  poller: EventPoller;
}

/** The acting user, as `c.get('user')` for every route mounted behind authentication. */
export interface ActingUser {
  id: number;
  username: string;
  role: Role;
}

export type AppEnv = {
  Variables: {
    user: ActingUser;
    /** Present for cookie sessions (browser), absent for API-token requests. */
    session: Session | undefined;
  };
};
