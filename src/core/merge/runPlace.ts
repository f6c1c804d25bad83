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

/**
 * The place of a run whose zero is `epochNs` (process.hrtime.bigint(), the
 * monotonic clock Python's time.monotonic_ns() reads too).
 */
export function runPlace(epochNs: bigint, env: NodeJS.ProcessEnv = process.env): RunPlace {
  // Wall time at the same instant as epochNs, to a few µs.
  const wallNs = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1000n
    - (process.hrtime.bigint() - epochNs);
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
  };
  if (offset) place.testClockOffsetNs = offset;
  return place;
}

const HEX16 = /^[0-9a-f]{16}$/;
const DECIMAL = /^-?\d{1,25}$/;

/** The run place in a trace's meta, when every field of it is there and well-formed. */
export function readRunPlace(meta: Record<string, unknown>): RunPlace | undefined {
  const { hostId, hostName, hostAddresses, clockId, monoNsAtZero, wallNsAtZero, testClockOffsetNs } = meta;
  if (typeof hostId !== 'string' || !HEX16.test(hostId)) return undefined;
  if (typeof clockId !== 'string' || !HEX16.test(clockId)) return undefined;
  if (typeof monoNsAtZero !== 'string' || !DECIMAL.test(monoNsAtZero)) return undefined;
  if (typeof wallNsAtZero !== 'string' || !DECIMAL.test(wallNsAtZero)) return undefined;
  const place: RunPlace = {
    hostId, clockId, monoNsAtZero, wallNsAtZero,
    hostName: typeof hostName === 'string' ? hostName.slice(0, 256) : '',
    hostAddresses: Array.isArray(hostAddresses) ? hostAddresses.filter((a): a is string => typeof a === 'string').map((a) => a.slice(0, 64)).slice(0, 16) : [],
  };
  if (typeof testClockOffsetNs === 'number' && Number.isSafeInteger(testClockOffsetNs)) place.testClockOffsetNs = testClockOffsetNs;
  return place;
}
