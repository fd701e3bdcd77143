// Leave-one-seizure-out on the scalp windows: for each seizure, a model trained without both of its
// windows (Bonn train split + the other seizures, one of them the validation seizure that picks the
// epoch and the threshold), then each held-out window run alone through the served path
// (evaluateEdf: chunks, context, adaptation from a fresh baseline, episode rule). The held-out seizure
// never influences its model, its threshold or its settings.
import path from 'node:path';
import { loadSeizureModel } from '../functions/seizure-detector/model.ts';
import { evaluateEdf } from './evaluate.ts';
import { readScalpWindows, scalpSeizures } from './scalp-windows.ts';
import { trainSeizureModel } from './train.ts';

export interface HeldOutWindow {
  file: string;
  label: 0 | 1;
  seconds: number;
  positiveSeconds: number;
  fired: boolean;
  /** Seconds from the window's start to the alert (null: none). */
  alertAtS: number | null;
}

export interface FoldResult {
  seizure: string;
  validation: string;
  modelVersion: string;
  threshold: number;
  windows: HeldOutWindow[];
  /** Files evaluated with this fold's model because they overlap the held-out seizure (see `extra`). */
  extra: HeldOutWindow[];
}

export async function leaveOneSeizureOut(opts: {
  bonnDir: string;
  scalpDir: string;
  seed: number;
  /** Each fold's model goes to outDir/<seizure>. */
  outDir: string;
  /** Further EDF files of one seizure (e.g. the chb01_03 excerpts), scored by the fold that holds it out. */
  extra?: { seizure: string; files: Array<{ file: string; label: 0 | 1 }> };
  only?: readonly string[];
  log?: (line: string) => void;
}): Promise<FoldResult[]> {
  const log = opts.log ?? (() => {});
  const seizures = scalpSeizures(await readScalpWindows(opts.scalpDir));
  const results: FoldResult[] = [];
  for (const [k, seizure] of seizures.entries()) {
    if (opts.only && !opts.only.includes(seizure)) continue;
    const validation = seizures[(k + 1) % seizures.length]!;
    const dir = path.join(opts.outDir, seizure);
    await trainSeizureModel({
      bonnDir: opts.bonnDir,
      scalpDir: opts.scalpDir,
      scalpValidation: validation,
      scalpTest: seizure,
      seed: opts.seed,
      outDir: dir,
      log: (l) => log(`  ${seizure}: ${l}`),
    });
    const model = await loadSeizureModel(dir);
    const score = async (file: string, label: 0 | 1): Promise<HeldOutWindow> => {
      const r = await evaluateEdf(model, file);
      const onset = r.transitions.find((t) => t.kind === 'onset');
      return {
        file: path.basename(file),
        label,
        seconds: r.windows.length,
        positiveSeconds: r.windows.filter((w) => w.positive).length,
        fired: r.fired,
        alertAtS: onset ? onset.windowStartS + 1 : null,
      };
    };
    const windows = [
      await score(path.join(opts.scalpDir, `${seizure}_ictal.edf`), 1),
      await score(path.join(opts.scalpDir, `${seizure}_preictal10s.edf`), 0),
    ];
    const extra =
      opts.extra?.seizure === seizure
        ? await Promise.all(opts.extra.files.map((f) => score(f.file, f.label)))
        : [];
    results.push({
      seizure,
      validation,
      modelVersion: model.info.modelVersion,
      threshold: model.info.threshold,
      windows,
      extra,
    });
  }
  return results;
}

const mark = (w: HeldOutWindow) =>
  `${w.fired ? `alert at ${w.alertAtS!.toFixed(0)} s` : 'no alert'} (${w.positiveSeconds}/${w.seconds} s positive)`;

/** The table `vigil model loso` prints. */
export function losoReport(results: readonly FoldResult[]): string {
  const ictal = results.map((r) => r.windows.find((w) => w.label === 1)!);
  const pre = results.map((r) => r.windows.find((w) => w.label === 0)!);
  const flagged = ictal.filter((w) => w.fired);
  const delays = flagged.map((w) => w.alertAtS! + 10).sort((a, b) => a - b);
  const posI = ictal.reduce((a, w) => a + w.positiveSeconds, 0);
  const secI = ictal.reduce((a, w) => a + w.seconds, 0);
  const posP = pre.reduce((a, w) => a + w.positiveSeconds, 0);
  const secP = pre.reduce((a, w) => a + w.seconds, 0);
  const lines = [
    'leave-one-seizure-out: each held-out 10-s window run alone through the served path',
    'seizure   validation  model                         threshold  ictal window (10-20 s after onset)     pre-ictal window (10 s before onset)',
    ...results.map(
      (r, i) =>
        `${r.seizure.padEnd(9)} ${r.validation.padEnd(11)} ${r.modelVersion.padEnd(29)} ${r.threshold.toFixed(3).padStart(9)}  ${mark(ictal[i]!).padEnd(38)} ${mark(pre[i]!)}`,
    ),
    ...results.flatMap((r) =>
      r.extra.map((w) => `  ${r.seizure} fold, ${w.file} (label ${w.label}): ${mark(w)}`),
    ),
    `seizure windows flagged (episode rule fires): ${flagged.length} of ${ictal.length}; pre-ictal windows with an alert: ${pre.filter((w) => w.fired).length} of ${pre.length}`,
    `seconds positive: ictal ${posI} of ${secI} (${((100 * posI) / secI).toFixed(2)} %), pre-ictal ${posP} of ${secP} (${((100 * posP) / secP).toFixed(2)} %)`,
    `alert delay from the annotated onset (ictal windows start 10 s after it): ${delays.length ? `median ${delays[(delays.length - 1) >> 1]} s, range ${delays[0]}-${delays[delays.length - 1]} s` : 'none'}`,
  ];
  return lines.join('\n');
}
