/**
 * Process-group bookkeeping read from /proc (Linux): which processes a server left behind and
 * how much memory they hold. vLLM forks an engine core and a worker into the API server's group.
 */

import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  name: string;
  rssMb: number;
}

/** Fields of /proc/PID/stat after the parenthesised command name, which may contain spaces. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // gone between the directory listing and the read
  }
}

/** Live (non-zombie) members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    // fields[0] is the state, fields[2] the process group.
    if (fields && fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(Number(entry));
  }
  return members;
}

export function processInfo(pid: number): ProcessInfo | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const name = /^Name:\s*(.*)$/m.exec(status)?.[1] ?? '?';
    const rssKb = Number(/^VmRSS:\s*(\d+) kB$/m.exec(status)?.[1] ?? 0);
    return { pid, name, rssMb: rssKb / 1024 };
  } catch {
    return null;
  }
}

export function groupMemory(pgid: number): ProcessInfo[] {
  return groupMembers(pgid)
    .map(processInfo)
    .filter((p): p is ProcessInfo => p !== null);
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the whole group is already gone
  }
}
