// Starts a Hono app on node:http and resolves with its URL once listening. Every Vigil HTTP server
// starts here, so every one has the same slow-client limits.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface Listening {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/**
 * Slow clients must not hold sockets: all headers within 10 s, the whole request within 30 s (a
 * response, such as a Server-Sent Events stream, may last longer). Node checks these only every
 * `connectionsCheckingInterval` (30 s by default, so a slow-header client was dropped after up to
 * ~70 s): check every second.
 */
export const SERVER_TIMEOUTS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  connectionsCheckingInterval: 1_000,
} as const;

export function listen(app: Pick<Hono, 'fetch'>, port: number, hostname: string): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, port, hostname, serverOptions: { ...SERVER_TIMEOUTS } },
      (info: AddressInfo) => {
        const host = hostname.includes(':')
          ? `[${hostname}]`
          : hostname === '0.0.0.0'
            ? '127.0.0.1'
            : hostname;
        resolve({
          url: `http://${host}:${info.port}`,
          port: info.port,
          server,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeAllConnections?.();
            }),
        });
      },
    ) as Server;
    server.once('error', reject);
  });
}
