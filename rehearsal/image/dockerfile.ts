// Reads a Dockerfile into stages of instructions, the way BuildKit's frontend does for the parts Vigil's
// Dockerfile uses: comments, `\` continuations, global and stage ARGs, ${VAR} / ${VAR:-default}
// substitution, `FROM image AS name`, ENV (key=value and the legacy `key value` form), WORKDIR, COPY
// (flags, JSON form), CMD/ENTRYPOINT (exec and shell form), USER, RUN. Part of the rehearsal, the test
// fixture for the cluster path (rehearsal/image/layout.ts turns a parsed file into a runtime layout).
// Reference: https://docs.docker.com/reference/dockerfile/

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY … */
  op: string;
  /** The arguments as written, after joining continuation lines (no variable substitution). */
  args: string;
  /** 1-based line of the instruction's first line. */
  line: number;
}

export interface Stage {
  /** `AS name`, or the stage's index as text. */
  name: string;
  /** The base image, with global ARGs substituted. */
  from: string;
  line: number;
  body: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export class DockerfileError extends Error {}

/** Splits the text into instructions: comments dropped, continuation lines joined. */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = '';
  let start = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    // A comment or blank line inside a continuation is skipped, as BuildKit does.
    if (trimmed.startsWith('#') || (trimmed === '' && !buf)) return;
    if (trimmed === '') return;
    if (!buf) start = i + 1;
    const continued = /\\$/.test(trimmed);
    buf += (buf ? ' ' : '') + (continued ? trimmed.slice(0, -1).trim() : trimmed);
    if (continued && i < lines.length - 1) return;
    const m = /^(\w+)(?:\s+([\s\S]*))?$/.exec(buf);
    if (!m) throw new DockerfileError(`line ${start}: cannot read "${buf.slice(0, 60)}"`);
    out.push({ op: m[1]!.toUpperCase(), args: (m[2] ?? '').trim(), line: start });
    buf = '';
  });
  return out;
}

/** Docker's variable substitution: $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative}; `\$` is literal. */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (all, braced: string | undefined, mod: string | undefined, word: string | undefined, bare) => {
      if (all === '\\$') return '$';
      const name = braced ?? (bare as string);
      const value = vars[name];
      if (mod === '-') return value ? value : (word ?? '');
      if (mod === '+') return value ? (word ?? '') : '';
      return value ?? '';
    },
  );
}

/** Splits shell-like words, honouring single and double quotes and backslash escapes. */
export function words(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      any = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      any = true;
    } else if (/\s/.test(ch)) {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else cur += ch;
  }
  if (quote) throw new DockerfileError(`unterminated quote in: ${text}`);
  if (cur || any) out.push(cur);
  return out;
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions(text)) {
    if (ins.op === 'FROM') {
      const parts = words(ins.args).filter((w) => !w.startsWith('--platform='));
      const as = parts.findIndex((p) => p.toUpperCase() === 'AS');
      if (!parts[0] || (as !== -1 && (as !== 1 || !parts[2])))
        throw new DockerfileError(`line ${ins.line}: FROM <image> [AS <name>], got "${ins.args}"`);
      stages.push({
        from: substitute(parts[0], globalArgs),
        name: as === 1 ? parts[2]! : String(stages.length),
        line: ins.line,
        body: [],
      });
    } else if (stages.length === 0) {
      if (ins.op !== 'ARG')
        throw new DockerfileError(`line ${ins.line}: only ARG may come before the first FROM`);
      for (const [k, v] of argPairs(ins)) globalArgs[k] = v ?? '';
    } else stages.at(-1)!.body.push(ins);
  }
  if (!stages.length) throw new DockerfileError('no FROM: not a Dockerfile');
  return { globalArgs, stages };
}

function argPairs(ins: Instruction): Array<[string, string | undefined]> {
  return words(ins.args).map((w) => {
    const eq = w.indexOf('=');
    return eq === -1 ? [w, undefined] : [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** ENV's pairs: `ENV a=1 b="two words"`, or the legacy `ENV key the rest is the value`. */
export function envPairs(ins: Instruction, vars: Record<string, string>): Array<[string, string]> {
  const ws = words(ins.args);
  if (ws.length && !ws[0]!.includes('=')) {
    const [key, ...rest] = ins.args.split(/\s+/);
    if (!key || !rest.length) throw new DockerfileError(`line ${ins.line}: ENV needs a value`);
    return [[key, substitute(rest.join(' '), vars)]];
  }
  return ws.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new DockerfileError(`line ${ins.line}: ENV expects key=value, got "${w}"`);
    return [w.slice(0, eq), substitute(w.slice(eq + 1), vars)];
  });
}

export interface CopyArgs {
  /** --from=<stage or image>; undefined: the build context. */
  from?: string;
  sources: string[];
  dest: string;
}

/** COPY [--from=…] [--chown=…] [--chmod=…] [--link] <src>… <dest>, or the JSON form. */
export function copyArgs(ins: Instruction, vars: Record<string, string>): CopyArgs {
  let rest = ins.args;
  let from: string | undefined;
  for (;;) {
    const m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest);
    if (!m) break;
    if (m[1] === 'from') from = substitute(m[2] ?? '', vars);
    else if (!['chown', 'chmod', 'link', 'parents', 'exclude'].includes(m[1]!))
      throw new DockerfileError(`line ${ins.line}: unknown COPY flag --${m[1]}`);
    rest = rest.slice(m[0].length);
  }
  const paths = rest.startsWith('[')
    ? (JSON.parse(rest) as string[])
    : words(rest).map((w) => substitute(w, vars));
  if (paths.length < 2) throw new DockerfileError(`line ${ins.line}: COPY needs a source and a destination`);
  return { ...(from !== undefined ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

/** CMD/ENTRYPOINT as argv: the exec (JSON) form as is, the shell form as `/bin/sh -c "…"`. */
export function commandArgv(ins: Instruction): string[] {
  if (ins.args.startsWith('[')) {
    const argv = JSON.parse(ins.args) as unknown;
    if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string'))
      throw new DockerfileError(`line ${ins.line}: ${ins.op} exec form must be a JSON array of strings`);
    return argv as string[];
  }
  return ['/bin/sh', '-c', ins.args];
}

/** ARG values in scope for a stage: the global defaults it redeclares, then its own. */
export function stageArgs(df: Dockerfile, stage: Stage): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const ins of stage.body.filter((i) => i.op === 'ARG'))
    for (const [k, v] of argPairs(ins)) vars[k] = v ?? df.globalArgs[k] ?? '';
  return vars;
}
