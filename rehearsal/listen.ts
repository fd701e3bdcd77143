// Listening on and closing the rehearsal's own HTTP servers (broker ingress, Service addresses).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens and resolves with the port (0 picks a free one). */
export async function listenOn(server: Server, port: number, host: string): Promise<number> {
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(port, host, () => r()));
  return (server.address() as AddressInfo).port;
}

/** Stops accepting and drops every connection, idle or not. */
export function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
}
