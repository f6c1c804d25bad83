/**
 * Reading Linux /proc for the sampler: a thread's stat line, the page size and clock ticks from
 * the auxiliary vector, and small files read synchronously with no descriptor kept.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';


export interface ThreadStat {
  /** Field 3: R, S, D, Z, T, t, I, X … */
  state: string;
  /** Fields 14 + 15: user + system time in clock ticks. */
  ticks: number;
  /** Field 22: start time after boot in clock ticks (tells a reused tid apart). */
  startTime: number;
  /** Field 39: the CPU the thread last ran on. */
  core: number;
  /** Field 24: resident set size in pages (the whole process's, in a thread's stat too). */
  rssPages: number;
}

/**
 * Parses one stat line. The comm field (2) is in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted from after the LAST ')'. Returns undefined for a line
 * that does not parse.
 */
export function parseStat(line: string): ThreadStat | undefined {
  const close = line.lastIndexOf(')');
  if (close < 0) return undefined;
  // f[0] is field 3, so field n (1-based, as in proc(5)) is f[n - 3].
  const f = line.slice(close + 1).trim().split(/\s+/);
  if (f.length < 37) return undefined;
  const state = f[0];
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const startTime = Number(f[19]);
  const core = Number(f[36]);
  const rssPages = Number(f[21]);
  if (state.length !== 1 || !Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(startTime)
    || !Number.isInteger(core) || core < 0) return undefined;
  return { state, ticks: utime + stime, startTime, core, rssPages: Number.isFinite(rssPages) ? rssPages : 0 };
}

/** AT_PAGESZ and AT_CLKTCK from /proc/self/auxv (pairs of 64-bit words), read once. */
let auxv: { pageSize?: number; clockTicks?: number } | undefined;

function auxvValues(): { pageSize?: number; clockTicks?: number } {
  if (auxv === undefined) {
    auxv = {};
    try {
      const data = fs.readFileSync('/proc/self/auxv');
      for (let i = 0; i + 16 <= data.length && os.endianness() === 'LE'; i += 16) {
        const type = Number(data.readBigUInt64LE(i));
        const value = Number(data.readBigUInt64LE(i + 8));
        if (type === 0) break;
        if (type === 6 && value > 0) auxv.pageSize = value;
        if (type === 17 && value > 0) auxv.clockTicks = value;
      }
    } catch {
      // no /proc: the defaults
    }
  }
  return auxv;
}

let clockTicks: number | undefined;

/** CLK_TCK: from the auxiliary vector (no process started), else `getconf` once, else 100. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    clockTicks = auxvValues().clockTicks ?? 100;
    if (auxvValues().clockTicks === undefined) {
      try {
        const n = parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }), 10);
        if (n > 0) clockTicks = n;
      } catch {
        // keep 100
      }
    }
  }
  return clockTicks;
}

/** Bytes per page (RSS in /proc is in pages): the auxiliary vector's, else 4096. */
export function pageSize(): number {
  return auxvValues().pageSize ?? 4096;
}

const readBuffer = Buffer.alloc(4096);

/** Reads a small /proc file synchronously (one open/read/close), or undefined if it is gone. */
export function readSmallFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const n = fs.readSync(fd, readBuffer, 0, readBuffer.length, 0);
    return readBuffer.toString('latin1', 0, n);
  } catch {
    return undefined; // ESRCH: the thread exited between open and read
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // nothing to do
    }
  }
}
