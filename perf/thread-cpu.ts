// CPU time of every thread of a process, from /proc/<pid>/task/*/stat (Linux): user + system, in ms.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

export type ThreadCpu = Map<number, number>;

export function threadCpuMs(pid: number): ThreadCpu {
  const out: ThreadCpu = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // fields after "(comm) ": state is field 3, utime 14 and stime 15 (1-based)
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S);
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

/** CPU each thread spent between two readings (threads that started in between count from 0). */
export function threadCpuSince(before: ThreadCpu, after: ThreadCpu): ThreadCpu {
  return new Map([...after].map(([tid, ms]) => [tid, ms - (before.get(tid) ?? 0)]));
}
