/** Descendant processes of a pid, read from /proc (to count recognizer processes). */
import { readdirSync, readFileSync } from 'node:fs';

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
}

function snapshot(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      out.push({ pid: Number(entry), ppid, comm });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

export function descendants(root: number): Proc[] {
  const all = snapshot();
  const found: Proc[] = [];
  let frontier = [root];
  while (frontier.length) {
    const next = all.filter((p) => frontier.includes(p.ppid));
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

export function countDescendants(root: number, commPrefix: string): number {
  return descendants(root).filter((p) => p.comm.startsWith(commPrefix)).length;
}

export interface TreeUsage {
  /** CPU ticks (1/100 s) used so far, per process. */
  ticks: Map<number, number>;
  rssKb: number;
  /** The processes of the tree, root first. */
  procs: Proc[];
}

/** CPU ticks per process and total resident memory of a process and its descendants. */
export function treeUsage(root: number): TreeUsage {
  const ticks = new Map<number, number>();
  let rssKb = 0;
  const procs = [{ pid: root, ppid: 0, comm: '' }, ...descendants(root)];
  for (const p of procs) {
    try {
      const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(p.pid, Number(f[11]) + Number(f[12]));
      rssKb += Number(f[21]) * 4;
    } catch {
      // exited
    }
  }
  return { ticks, rssKb, procs };
}

/** CPU seconds used between two samples by processes alive in the second (new ones count from 0). */
export function cpuSecondsBetween(a: TreeUsage, b: TreeUsage): number {
  let t = 0;
  for (const [pid, ticks] of b.ticks) t += ticks - (a.ticks.get(pid) ?? 0);
  return t / 100;
}
