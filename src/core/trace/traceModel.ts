/** Tables of a trace: the things events refer to. Times are ns on the run's clock. */

export interface ProcessInfo {
  index: number;
  pid: number;
  /** The OS parent (for a forkserver child: the forkserver). */
  ppid: number;
  /** Who started it, as the program sees it (Process.start() caller); defaults to ppid. */
  parentPid: number;
  name: string;
  argv: string[];
  python: string;
  startTs: number;
  /** Last time anything was heard of it; its exit time when it exited. */
  endTs: number;
  exited: boolean;
  exitCode: number | null;
  /** Signal that ended it (from a negative multiprocessing exitcode or the launcher). */
  signal: number | null;
  /** Helper processes of the standard library (forkserver, resource tracker). */
  internal: boolean;
  /** time.time_ns() and the run clock at the same instant, to show wall-clock times. */
  wallNsAtStart: number | null;
  mainThread: number;
}

export interface ThreadInfo {
  index: number;
  process: number;
  pid: number;
  ident: number;
  nativeId: number;
  name: string;
  startTs: number;
  /** NaN while the thread runs. */
  endTs: number;
  daemon: boolean;
  /** Standard-library helper threads (queue feeder, pool handlers). */
  internal: boolean;
  /**
   * The installed package whose function the thread runs ("distributed", "loky"): a library's
   * thread (THREAD_START b&4). Absent for the program's own threads and in traces made before it.
   */
  library?: string;
  main: boolean;
  exception: string | null;
}

export interface SiteInfo {
  file: string;
  line: number;
  func: string;
}

export interface ObjectInfo {
  id: number;
  type: string;
  label: string;
  pid: number;
  site: number;
  /** An asyncio task made to run a library's coroutine (ASYNC_CREATE end): that package's name. */
  library?: string;
}

/** One event as handed out by TraceStore.event(); the store itself is columnar. */
export interface TraceEvent {
  row: number;
  kind: number;
  ts: number;
  /** End of a span (NaN while open); equals ts for point events. */
  end: number;
  thread: number;
  obj: number;
  site: number;
  a: number;
  b: number;
}
