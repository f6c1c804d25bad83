/**
 * Processes of a run that the runtime did not trace, and why. The runtime's
 * sitecustomize leaves one line per such process in the run directory
 * (untraced-<pid>-<nonce>.txt: an interpreter older than 3.8, a free-threaded
 * build with the GIL off, a tracer that could not start), so that no process
 * runs untraced without the user being told.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface UntracedProcess {
  pid: number;
  reason: string;
}

const NOTE = /^untraced-(\d{1,10})-[0-9a-f]{8}\.txt$/;
const MAX_NOTES = 1000;
const MAX_BYTES = 400;

/** Reads the notes (bounded: at most 1000 of 400 bytes, regular files only, control characters dropped). */
export function readUntracedNotes(dir: string): UntracedProcess[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: UntracedProcess[] = [];
  for (const name of names) {
    const m = NOTE.exec(name);
    if (!m || out.length >= MAX_NOTES) continue;
    let fd: number | undefined;
    try {
      fd = fs.openSync(path.join(dir, name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
      if (!fs.fstatSync(fd).isFile()) throw new Error('not a regular file');
      const buf = Buffer.alloc(MAX_BYTES);
      const n = fs.readSync(fd, buf, 0, MAX_BYTES, 0);
      const reason = buf.subarray(0, n).toString('utf8').replace(/[\x00-\x1f\x7f-\x9f]+/g, ' ').trim();
      out.push({ pid: Number(m[1]), reason: reason || 'no reason given' });
    } catch {
      // A note that cannot be read still says a process ran untraced.
      out.push({ pid: Number(m[1]), reason: 'no reason given' });
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** One line per distinct reason: "process 12 was not traced: …" / "3 processes were not traced (pids 1, 2, 3): …". */
export function describeUntraced(notes: readonly UntracedProcess[]): string[] {
  const byReason = new Map<string, number[]>();
  for (const n of notes) {
    const pids = byReason.get(n.reason) ?? [];
    pids.push(n.pid);
    byReason.set(n.reason, pids);
  }
  return [...byReason].map(([reason, pids]) => {
    const shown = pids.slice(0, 10).join(', ') + (pids.length > 10 ? ', …' : '');
    return pids.length === 1
      ? `process ${pids[0]} was not traced: ${reason}`
      : `${pids.length} processes were not traced (pids ${shown}): ${reason}`;
  });
}
