// The client's address as sign-in throttling and the audit log see it. X-Forwarded-For is read only
// when the socket's peer is a configured trusted proxy (VIGIL_TRUSTED_PROXIES): anyone else could
// write any address there. The list is walked from the right, past every trusted proxy, to the first
// address no trusted proxy vouches for.
import { type BlockList, isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

function trusted(proxies: BlockList | undefined, addr: string): boolean {
  const family = isIP(addr);
  return proxies !== undefined && family !== 0 && proxies.check(addr, family === 6 ? 'ipv6' : 'ipv4');
}

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) -> `10.0.0.1`. */
function plain(addr: string): string {
  return addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4 ? addr.slice(7) : addr;
}

export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | undefined,
  proxies?: BlockList,
): string {
  let client = plain(peer ?? 'unknown');
  if (!trusted(proxies, client) || !forwardedFor) return client;
  const hops = forwardedFor.split(',').map((h) => plain(h.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return client; // garbage: stop at the last address a trusted proxy gave
    client = hop;
    if (!trusted(proxies, hop)) return hop;
  }
  return client;
}

export function clientIp(c: Context, proxies: BlockList | undefined): string {
  let peer: string | undefined;
  try {
    peer = getConnInfo(c).remote.address;
  } catch {
    peer = undefined; // app.request() in tests has no socket
  }
  return clientAddress(peer, c.req.header('x-forwarded-for'), proxies);
}
