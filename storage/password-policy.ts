// What a password must be (OWASP ASVS 4.0 §2.1): 12 to 128 characters, any characters, no
// composition rules, and not guessable: zxcvbn's estimate, with its dictionaries of common passwords
// and its repeat, sequence and keyboard patterns, must reach score 3 ("safely unguessable"), so
// "aaaaaaaaaaaa", "password1234" and "qwertyuiop12" are refused with the library's own reason.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

export const PASSWORD_POLICY = { minLength: 12, maxLength: 128, minScore: 3 } as const;

let estimator: ZxcvbnFactory | undefined;
function zxcvbn(): ZxcvbnFactory {
  // Built on first use: the dictionaries take ~100 ms to index, and most processes never need them.
  estimator ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  return estimator;
}

/** Why `password` is refused, or undefined when it is acceptable. `userInputs`: the username and the like. */
export function passwordProblem(password: string, userInputs: string[] = []): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_POLICY.minLength)
    return `password must be at least ${PASSWORD_POLICY.minLength} characters`;
  if (length > PASSWORD_POLICY.maxLength)
    return `password must be at most ${PASSWORD_POLICY.maxLength} characters`;
  const r = zxcvbn().check(password, userInputs);
  if (r.score >= PASSWORD_POLICY.minScore) return undefined;
  const reason = r.feedback.warning
    ? (WARNINGS[r.feedback.warning] ?? 'it is too easy to guess')
    : 'it is too easy to guess';
  return `password refused: ${reason}; use a longer phrase of unrelated words`;
}

// zxcvbn-ts returns warning keys (translations are a separate package): the ones it produces, in words.
const WARNINGS: Record<string, string> = {
  straightRow: 'it is a straight row of keys',
  keyPattern: 'it is a short keyboard pattern',
  simpleRepeat: 'it repeats the same character',
  extendedRepeat: 'it repeats a pattern of characters',
  sequences: 'it is a common character sequence such as abc or 1234',
  recentYears: 'it relies on recent years',
  dates: 'it relies on a date',
  topTen: 'it is one of the ten most used passwords',
  topHundred: 'it is one of the hundred most used passwords',
  common: 'it is a commonly used password',
  similarToCommon: 'it is very similar to a commonly used password',
  wordByItself: 'single words are easy to guess',
  namesByThemselves: 'single names are easy to guess',
  commonNames: 'common names are easy to guess',
  userInputs: 'it contains the username or other personal data',
  pwned: 'it appeared in a data breach',
};
