// Where to go after signing in: only a path on this origin. `/` followed by a path character (RFC
// 3986 pchar, or `?`); never `//` or `/\` (a browser reads both as another host), never a control
// character or space (browsers strip tabs and newlines, so `/\t/evil` becomes `//evil`), and never an
// encoded form of those (`/%2F/evil`, `/%5Cevil`, `/%09/evil`), however many times it is decoded.
const PATH = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@%?][A-Za-z0-9\-._~!$&'()*+,;=:@%/?#]*)?$/;

function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function safeNext(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > 2048 || !PATH.test(raw)) return '/';
  let s = raw;
  for (let round = 0; round < 3; round++) {
    const next = decoded(s);
    if (next === s) break;
    s = next;
  }
  if (/^\/[/\\]/.test(s) || /\\/.test(s) || [...s].some((ch) => ch <= ' ' || ch === '\u007f')) return '/';
  return raw === '/login' || raw.startsWith('/login?') ? '/' : raw;
}
