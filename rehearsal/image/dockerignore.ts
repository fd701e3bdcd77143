// .dockerignore as Docker applies it to the build context (moby/patternmatcher): one pattern a line,
// `#` comments, a leading `/` means the context root, `*` `?` `[…]` within one path segment, `**` any
// number of segments, `!` re-includes; the last pattern that matches a path or one of its parent
// directories decides. A file the context leaves out cannot be COPYed: the build fails.

export interface IgnorePattern {
  text: string;
  exclusion: boolean;
  re: RegExp;
}

export function parseDockerignore(text: string): IgnorePattern[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const exclusion = l.startsWith('!');
      const body = normalise(exclusion ? l.slice(1).trim() : l);
      return { text: l, exclusion, re: patternRegExp(body) };
    });
}

function normalise(p: string): string {
  const parts: string[] = [];
  for (const seg of p.replace(/^\/+/, '').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return parts.join('/') || '.';
}

function patternRegExp(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === '*') {
      if (p[i + 1] === '*') {
        i++;
        // `**/` matches zero or more directories; a trailing `**` matches everything below.
        if (p[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = p.indexOf(']', i + 1);
      if (end === -1) throw new Error(`.dockerignore: unterminated [ in ${p}`);
      const cls = p.slice(i + 1, end).replace(/^\^|^!/, '^');
      re += `[${cls}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < p.length) re += literal(p[++i]!);
    else re += literal(ch);
  }
  return new RegExp(`^${re}$`);
}

const literal = (c: string): string => c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');

/** Whether the context leaves `relPath` (relative to the context root, `/`-separated) out. */
export function isIgnored(patterns: IgnorePattern[], relPath: string): boolean {
  const file = normalise(relPath);
  const dirs = file.split('/');
  let matched = false;
  for (const p of patterns) {
    // An exclusion only matters once something matched, an inclusion only while nothing has.
    if (p.exclusion !== matched) continue;
    let match = p.re.test(file);
    for (let i = 1; !match && i < dirs.length; i++) match = p.re.test(dirs.slice(0, i).join('/'));
    if (match) matched = !p.exclusion;
  }
  return matched;
}
