/**
 * Where and on which clock a run took place: written into a trace's meta at
 * the start of the run, read by `merge` to group processes by host and to
 * line up the clocks of traces recorded apart.
 *
 * Computed once per run on the Node side, not per process in the runtime:
 * every process of one run writes into one local run directory through
 * mmap, so they all live on the machine (and in the network namespace) of
 * the `run` that collects them, and the run's clock is the Node side's
 * (event times are monotonic ns minus the epoch taken here).
 *
 * - host: /etc/machine-id + hostname + network namespace inode. Two network
 *   namespaces of one machine are two hosts (they have addresses of their
 *   own), which is how the multi-host test simulates machines.
 * - clock: traces with the same clock id share one monotonic clock (same
 *   boot of the same kernel, same time namespace): their offset is exact,
 *   from the monotonic time of each run's zero. Other pairs of clocks are
 *   estimated from the messages the traces exchanged (clockOffsets.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * Test-only: shifts this run's clock by this many ns (its zero and its wall
 * time alike), as if the machine's clock were off by that much, and gives it
 * a clock of its own. Lets the multi-host test check the offset estimation
 * against a known offset on one machine. Never set it otherwise.
 */
export const TEST_CLOCK_OFFSET_ENV = 'CONCURRENCY_TRACE_TEST_CLOCK_OFFSET_NS';

/** The meta fields a run adds to its trace (flat strings: kept as they are by older readers). */
export interface RunPlace {
  /** 16 hex digits identifying machine + hostname + network namespace. */
  hostId: string;
  hostName: string;
  /** The host's IPv4/IPv6 addresses other than loopback (to tell hosts apart that share a name). */
  hostAddresses: string[];
  /** 16 hex digits: runs with equal clock ids share one monotonic clock. */
  clockId: string;
  /** Monotonic time (ns, decimal) of the run's zero on that clock. */
  monoNsAtZero: string;
  /** Wall-clock time (ns since 1970, decimal) at the run's zero: a first guess across clocks. */
  wallNsAtZero: string;
  /** wallNsAtZero is within ± this many ns of the wall clock's time (absent: an older build, unknown). */
  wallErrorNs?: number;
  /** The test-only offset applied (ns), when there was one. */
  testClockOffsetNs?: number;
}

const hash16 = (...parts: string[]): string => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);

function readSmall(file: string): string {
  try {
    return fs.readFileSync(file, 'latin1').slice(0, 256).trim();
  } catch {
    return '';
  }
}

function nsInode(kind: 'net' | 'time'): string {
  try {
    return String(fs.statSync(`/proc/self/ns/${kind}`).ino);
  } catch {
    return '';
  }
}

function machineId(): string {
  return readSmall('/etc/machine-id') || readSmall('/var/lib/dbus/machine-id');
}

function addresses(): string[] {
  const out: string[] = [];
  try {
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) if (!a.internal) out.push(a.address);
    }
  } catch {
    // no interfaces to report
  }
  return out.slice(0, 16);
}

/** The test-only clock offset from the environment: an integer of ns, else 0. */
export function testClockOffset(env: NodeJS.ProcessEnv = process.env): number {
  const v = env[TEST_CLOCK_OFFSET_ENV];
  if (!v || !/^-?\d{1,15}$/.test(v.trim())) return 0;
  return Number(v.trim());
}

/** Wall minus monotonic time (ns), and how far off it may be (ns). */
export interface WallAnchor {
  wallMinusMonoNs: bigint;
  errorNs: number;
}

/**
 * Wall minus monotonic time, to well under a µs. Node has no finer wall
 * clock than Date.now()'s ms, and performance.timeOrigin was read once at
 * start-up next to a monotonic read: measured against Python's
 * time.time_ns()/monotonic_ns(), it was off by −6 to +1 µs on a lightly
 * loaded machine, enough to put a clock offset outside the ± the messages
 * give. The instant Date.now() ticks to the next ms is a wall time known
 * exactly (V8 floors the µs clock), bracketed by the monotonic reads around
 * the last read before the tick and the first after it. A few ticks are
 * tried (≤ ~1 ms each) and the tightest bracket kept; a thread preempted
 * inside the bracket only widens it. Without a tick in time (a wall clock
 * that does not move), timeOrigin's guess with a 1 ms error.
 */
export function wallAnchor(): WallAnchor {
  let best: WallAnchor | undefined;
  const deadline = process.hrtime.bigint() + 10_000_000n;
  for (let tick = 0; tick < 5 && (best === undefined || best.errorNs > 1000); tick++) {
    let before = process.hrtime.bigint();
    let ms = Date.now();
    for (;;) {
      const h1 = process.hrtime.bigint();
      const now = Date.now();
      const h2 = process.hrtime.bigint();
      if (now !== ms) {
        // The tick to `now` ms came after the read of `ms` (begun after `before`) and before h2.
        const errorNs = Number(h2 - before) / 2;
        if (now > ms && (best === undefined || errorNs < best.errorNs)) {
          best = { wallMinusMonoNs: BigInt(now) * 1_000_000n - (before + h2) / 2n, errorNs: Math.ceil(errorNs) };
        }
        break;
      }
      if (h2 > deadline) break;
      before = h1;
      ms = now;
    }
    if (process.hrtime.bigint() > deadline) break;
  }
  if (best) return best;
  const wall = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1000n;
  return { wallMinusMonoNs: wall - process.hrtime.bigint(), errorNs: 1_000_000 };
}

/**
 * The place of a run whose zero is `epochNs` (process.hrtime.bigint(), the
 * monotonic clock Python's time.monotonic_ns() reads too).
 */
export function runPlace(epochNs: bigint, env: NodeJS.ProcessEnv = process.env): RunPlace {
  const anchor = wallAnchor();
  const wallNs = epochNs + anchor.wallMinusMonoNs;
  const offset = testClockOffset(env);
  const host = os.hostname();
  const mid = machineId();
  const bootId = readSmall('/proc/sys/kernel/random/boot_id');
  const place: RunPlace = {
    hostId: hash16('host', mid, host, nsInode('net')),
    hostName: host,
    hostAddresses: addresses(),
    // Without a boot id (not Linux) one machine still has one monotonic clock.
    clockId: hash16('clock', bootId || `${mid}\0${host}`, nsInode('time'), offset ? `test${offset}` : ''),
    monoNsAtZero: String(epochNs + BigInt(offset)),
    wallNsAtZero: String(wallNs + BigInt(offset)),
    wallErrorNs: anchor.errorNs,
  };
  if (offset) place.testClockOffsetNs = offset;
  return place;
}

const HEX16 = /^[0-9a-f]{16}$/;
const DECIMAL = /^-?\d{1,25}$/;

/** The run place in a trace's meta, when every field of it is there and well-formed. */
export function readRunPlace(meta: Record<string, unknown>): RunPlace | undefined {
  const { hostId, hostName, hostAddresses, clockId, monoNsAtZero, wallNsAtZero, wallErrorNs, testClockOffsetNs } = meta;
  if (typeof hostId !== 'string' || !HEX16.test(hostId)) return undefined;
  if (typeof clockId !== 'string' || !HEX16.test(clockId)) return undefined;
  if (typeof monoNsAtZero !== 'string' || !DECIMAL.test(monoNsAtZero)) return undefined;
  if (typeof wallNsAtZero !== 'string' || !DECIMAL.test(wallNsAtZero)) return undefined;
  const place: RunPlace = {
    hostId, clockId, monoNsAtZero, wallNsAtZero,
    hostName: typeof hostName === 'string' ? hostName.slice(0, 256) : '',
    hostAddresses: Array.isArray(hostAddresses) ? hostAddresses.filter((a): a is string => typeof a === 'string').map((a) => a.slice(0, 64)).slice(0, 16) : [],
  };
  if (typeof wallErrorNs === 'number' && Number.isSafeInteger(wallErrorNs) && wallErrorNs >= 0 && wallErrorNs <= 1e12) place.wallErrorNs = wallErrorNs;
  if (typeof testClockOffsetNs === 'number' && Number.isSafeInteger(testClockOffsetNs)) place.testClockOffsetNs = testClockOffsetNs;
  return place;
}
