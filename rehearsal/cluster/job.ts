// A Kubernetes Job as the rehearsal runs it (the migrate Job, knative/base/migrate-job.yaml): its
// container's command from the scratch image until it exits 0, retried after a failure with the Job
// controller's back-off (10 s, 20 s, 40 s …) at most backoffLimit times. A test fixture.
import type { BuiltImage } from '../image/build.ts';
import { runToCompletion } from '../image/container.ts';
import type { JobDef } from './topology.ts';

export class JobFailed extends Error {}

export async function runJob(
  image: BuiltImage,
  job: JobDef,
  env: Record<string, string>,
  log: (line: string) => void = () => {},
  delayMs: (failures: number) => number = (n) => Math.min(360_000, 10_000 * 2 ** (n - 1)),
): Promise<string> {
  for (let failures = 0; ; failures++) {
    const r = await runToCompletion(
      image,
      { name: `job/${job.name}`, command: job.command, env: { ...job.env, ...env } },
      log,
    );
    if (r.code === 0) return r.stdout;
    if (failures >= job.backoffLimit)
      throw new JobFailed(
        `job ${job.name} failed ${failures + 1} times (backoffLimit ${job.backoffLimit}): ${r.tail}`,
      );
    const wait = delayMs(failures + 1);
    log(`[job/${job.name}] exited ${r.code}; retrying in ${wait / 1000} s`);
    await new Promise((res) => setTimeout(res, wait));
  }
}
