// The processes `ftlab launch` started, found through /proc (Linux): a test kills one of them.
import { readdirSync, readFileSync } from 'node:fs';

/** The pid of the launched rank `rank` (a child of `parent` with RANK=rank in its environment). */
export function rankPid(parent: number, rank: number): number | null {
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const ppid = Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid !== parent) continue;
      if (readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`RANK=${rank}`)) return Number(p);
    } catch {}
  }
  return null;
}
