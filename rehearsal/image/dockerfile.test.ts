import { describe, expect, it } from 'vitest';
import {
  commandArgv,
  copyArgs,
  DockerfileError,
  envPairs,
  instructions,
  parseDockerfile,
  stageArgs,
  substitute,
  words,
} from './dockerfile.ts';

describe('Dockerfile reader', () => {
  it('joins continuation lines, skips comments and blank lines inside them, keeps line numbers', () => {
    const ins = instructions('# c\nFROM a\n\nRUN one \\\n  # inside\n\n  && two\nCMD ["x"]\n');
    expect(ins).toEqual([
      { op: 'FROM', args: 'a', line: 2 },
      { op: 'RUN', args: 'one && two', line: 4 },
      { op: 'CMD', args: '["x"]', line: 8 },
    ]);
  });

  it('substitutes $VAR, ${VAR}, ${VAR:-default} and ${VAR:+alt}, and leaves \\$ literal', () => {
    const vars = { A: '1', E: '' };
    expect(substitute('$A ${A} ${B:-d} ${E:-e} ${A:+yes} ${B:+no} \\$A', vars)).toBe('1 1 d e yes  $A');
  });

  it('splits words with quotes and escapes', () => {
    expect(words(`a "b c" 'd e' f\\ g ""`)).toEqual(['a', 'b c', 'd e', 'f g', '']);
    expect(() => words('"open')).toThrow(DockerfileError);
  });

  it('reads stages, global ARGs in FROM and stage ARGs redeclared without a value', () => {
    const df = parseDockerfile(
      'ARG BASE=node:20\nARG V=1\nFROM ${BASE} AS build\nARG V\nRUN x\nFROM scratch\n',
    );
    expect(df.globalArgs).toEqual({ BASE: 'node:20', V: '1' });
    expect(df.stages.map((s) => [s.name, s.from])).toEqual([
      ['build', 'node:20'],
      ['1', 'scratch'],
    ]);
    expect(stageArgs(df, df.stages[0]!)).toEqual({ V: '1' });
    expect(() => parseDockerfile('RUN x\nFROM a\n')).toThrow(/only ARG/);
    expect(() => parseDockerfile('ARG A=1\n')).toThrow(/no FROM/);
  });

  it('reads ENV in both forms, with substitution', () => {
    const ins = (args: string) => ({ op: 'ENV', args, line: 1 });
    expect(envPairs(ins('A=1 B="two words" C=${X}/y'), { X: '/x' })).toEqual([
      ['A', '1'],
      ['B', 'two words'],
      ['C', '/x/y'],
    ]);
    expect(envPairs(ins('LEGACY the rest $X'), { X: 'v' })).toEqual([['LEGACY', 'the rest v']]);
  });

  it('reads COPY flags, several sources and the JSON form; refuses unknown flags', () => {
    const ins = (args: string) => ({ op: 'COPY', args, line: 3 });
    expect(copyArgs(ins('--from=deps --chown=1:1 /app/node_modules ./node_modules'), {})).toEqual({
      from: 'deps',
      sources: ['/app/node_modules'],
      dest: './node_modules',
    });
    expect(copyArgs(ins('a b ./c/'), {})).toEqual({ sources: ['a', 'b'], dest: './c/' });
    expect(copyArgs(ins('["x y", "z/"]'), {})).toEqual({ sources: ['x y'], dest: 'z/' });
    expect(() => copyArgs(ins('--frm=deps a b'), {})).toThrow(/unknown COPY flag/);
    expect(() => copyArgs(ins('only'), {})).toThrow(/source and a destination/);
  });

  it('reads CMD in exec form as argv and the shell form through /bin/sh -c', () => {
    expect(commandArgv({ op: 'CMD', args: '["node", "dist/cli/serve.js"]', line: 1 })).toEqual([
      'node',
      'dist/cli/serve.js',
    ]);
    expect(commandArgv({ op: 'CMD', args: 'node x.js', line: 1 })).toEqual(['/bin/sh', '-c', 'node x.js']);
    expect(() => commandArgv({ op: 'CMD', args: '[1]', line: 1 })).toThrow(DockerfileError);
  });
});
