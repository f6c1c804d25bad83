/**
 * Gathers the event files that the processes of one run write into the run
 * directory, live: polls for new files and new records, resolves them into
 * the store, and follows spans until their end is written.
 *
 * Only files whose header carries this run's token are read: another
 * program writing into the directory cannot inject events.
 *
 * A file is read to its end, and closed, once its process is gone (no
 * process with that pid and start time, or a zombie): until then a claimed
 * slot may still be written. What its status slot says (tracing stopped, and
 * why) and what was claimed but never written go into the trace as
 * TRACER_STATUS / EVENTS_LOST records (problems() lists them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addUntracedChildren, tracerProblems } from './analysis/processes';
import { EventFileError, EventFileReader, RecordBatch, type Epoch } from './eventFile';
import { ProcessIngest } from './ingest';
import { readUntracedNotes } from './untracedNotes';
import { processStartTicks } from './processTree';
import { K } from './recordKinds';
import type { TraceStore } from './traceStore';

export interface CollectorOptions {
  dir: string;
  token: string;
  epoch: Epoch;
  store: TraceStore;
  intervalMs?: number;
  /** Told about files that were refused or could not be read. */
  onWarning?: (message: string) => void;
  /** Start time of a live process (undefined: gone); /proc by default. Tests give their own. */
  startTicks?: (pid: number) => number | undefined;
}

interface Source {
  reader: EventFileReader;
  ingest: ProcessIngest | undefined;
  rejected: boolean;
  /** Read to the end and closed: its process is gone. */
  done: boolean;
  /** Start ticks of its process when first seen; undefined: it was gone already. */
  start: number | undefined;
  /** Date.now() after which to look whether the process is still there. */
  nextCheck: number;
  /** Date.now() after which to read the file again. */
  nextRead: number;
  /** Time between reads now (ms): the poll interval while it writes, longer while it is quiet. */
  idleMs: number;
  /** The status slot's stop was put into the trace. */
  stopNoted: boolean;
}

/** Slots read per batch: the batch (80 bytes a record, 320 KB) is reused and stays in cache. */
const BATCH_SLOTS = 1 << 12;
/** How often a process is looked up (ms); one that has exited or owes slots, every poll; a quiet one, QUIET_LIVENESS_MS. */
const LIVENESS_MS = 500;
const QUIET_LIVENESS_MS = 1000;
/**
 * A file that gave nothing new is read half as often, down to every MAX_IDLE_MS (a quiet process
 * costs ~2 reads a second, not 33), and holds no descriptor then; one that gave records is read
 * every poll again. What a quiet process writes shows up at most MAX_IDLE_MS late.
 */
const MAX_IDLE_MS = 500;
/** The run folder is listed when fs.watch says it changed, and at least this often (ms). */
const RESCAN_MS = 1000;
/** EVENTS_LOST b: why. */
const LOST_UNWRITTEN = 1;
const LOST_VOIDED = 2;
const LOST_STOPPED = 3;
/** TRACER_STATUS a for a process known only from its parent's records. */
export const NEVER_TRACED = 5;

export class Collector {
  private readonly sources = new Map<string, Source>();
  private readonly ingests = new Map<number, ProcessIngest>();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  /** Change notification on the run folder (new files); undefined where fs.watch is not available. */
  private watcher: fs.FSWatcher | undefined;
  /** The folder changed since it was last listed (or nothing says it did not). */
  private dirChanged = true;
  private nextScan = 0;
  private stopped = false;
  private readonly startTicks: (pid: number) => number | undefined;
  /** One batch for every read (records are ingested before the next read). */
  private readonly batch = new RecordBatch(BATCH_SLOTS);
  /** Records read so far (the "collected" side of emitted == collected). */
  recordsRead = 0;
  rejectedFiles: string[] = [];

  constructor(private readonly options: CollectorOptions) {
    this.startTicks = options.startTicks ?? processStartTicks;
    this.intervalMs = Math.max(1, options.intervalMs ?? 30);
  }

  start(): void {
    if (this.timer) return;
    this.watchDir();
    this.timer = setInterval(() => {
      try {
        this.poll(false);
      } catch (err) {
        this.options.onWarning?.(`collector: ${(err as Error).message}`);
      }
    }, this.intervalMs);
    this.timer.unref();
  }

  /** New files are noticed through fs.watch (inotify); without it, the folder is listed every poll. */
  private watchDir(): void {
    try {
      this.watcher = fs.watch(this.options.dir, { persistent: false }, () => {
        this.dirChanged = true;
      });
      this.watcher.on('error', () => this.unwatchDir());
    } catch {
      this.watcher = undefined;
    }
  }

  private unwatchDir(): void {
    try {
      this.watcher?.close();
    } catch {
      // closed already
    }
    this.watcher = undefined;
    this.dirChanged = true;
  }

  /** Descriptors the collector holds now (event files of processes that are writing). */
  openFiles(): number {
    let n = 0;
    for (const s of this.sources.values()) if (s.reader.isOpen) n++;
    return n;
  }

  /**
   * Stops polling and reads everything that is left; processes known only
   * from their parent's records (started, then ended before their tracer
   * wrote anything) are added, marked never traced. Once: later calls do nothing.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unwatchDir();
    this.poll(true);
    for (const s of this.sources.values()) s.reader.close();
    addUntracedChildren(this.options.store, this.diskFull() ? 28 /* ENOSPC */ : 0);
    this.notedPids();     // the run directory goes once the run is saved
  }

  /** Pids of processes that have written something and not exited. */
  livePids(): number[] {
    const out: number[] = [];
    for (const [pid, ing] of this.ingests) if (ing.process && !ing.process.exited) out.push(pid);
    return out;
  }

  /**
   * What is missing from the trace and why, one line per process (empty:
   * nothing). A process that left an untraced note (sitecustomize: too old an
   * interpreter, a tracer that could not start) is said by that note, with its
   * reason, not here again; refused files are said by onWarning.
   */
  problems(): string[] {
    const noted = this.notedPids();
    return tracerProblems(this.options.store)
      .filter((p) => p.kind === 'lost' || !noted.has(p.pid))
      .map((p) => p.text);
  }

  private noted = new Set<number>();

  private notedPids(): Set<number> {
    if (fs.existsSync(this.options.dir)) this.noted = new Set(readUntracedNotes(this.options.dir).map((n) => n.pid));
    return this.noted;
  }

  /**
   * One pass over the run directory: the files that are due (see MAX_IDLE_MS).
   * `final`: the run is over, read every file to its end. `now`: Date.now()
   * (tests give their own).
   */
  poll(final: boolean, now = Date.now()): void {
    if (final || this.dirChanged || !this.watcher || now >= this.nextScan) this.scanDir(now);
    for (const [name, source] of this.sources) {
      if (source.rejected || source.done) continue;
      if (!final && now < source.nextRead && now < source.nextCheck) continue;
      try {
        this.pollSource(name, source, final, now);
      } catch (err) {
        if (err instanceof EventFileError) {
          source.rejected = true;
          source.reader.close();
          this.rejectedFiles.push(name);
          this.options.onWarning?.(err.message);
        } else {
          throw err;
        }
      }
    }
  }

  private scanDir(now: number): void {
    this.dirChanged = false;
    this.nextScan = now + RESCAN_MS;
    let names: string[];
    try {
      names = fs.readdirSync(this.options.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.endsWith('.ctev') || this.sources.has(name)) continue;
      this.sources.set(name, {
        reader: new EventFileReader(path.join(this.options.dir, name), this.options.epoch),
        ingest: undefined, rejected: false, done: false, start: undefined, nextCheck: 0, stopNoted: false,
        nextRead: 0, idleMs: this.intervalMs,
      });
    }
  }

  private pollSource(name: string, source: Source, final: boolean, now: number): void {
    const header = source.reader.open();
    if (!header) {
      if (final) source.reader.close();
      return;
    }
    if (!source.ingest) {
      if (header.token !== this.options.token.slice(0, 16)) {
        throw new EventFileError(`${name}: not written by a process of this run (token mismatch); ignored`);
      }
      let ingest = this.ingests.get(header.pid);
      if (!ingest) {
        ingest = new ProcessIngest(this.options.store, header.pid);
        this.ingests.set(header.pid, ingest);
      }
      source.ingest = ingest;
      source.start = this.startTicks(header.pid);
    }
    // Gone before this read: everything it wrote is in the file now.
    let last = final;
    if (!last && now >= source.nextCheck) {
      source.nextCheck = now + (source.idleMs >= MAX_IDLE_MS ? QUIET_LIVENESS_MS : LIVENESS_MS);
      last = source.start === undefined || this.startTicks(header.pid) !== source.start;
      this.noteStop(source);
    }
    if (!last && now < source.nextRead) return; // only looked up: not due for a read yet
    // Records first, then strings: a record's strings are written before it,
    // so every string a record read here names is in this batch or before.
    // A batch at a time (bounded memory), as long as there is more to read now.
    let read = 0;
    do {
      const records = source.reader.readRecords(last, BATCH_SLOTS, this.batch);
      source.ingest.addBlobs(source.reader.readBlobs());
      source.ingest.ingest(records);
      read += records.length;
    } while (source.reader.more);
    this.recordsRead += read;
    let closed = 0;
    if (source.ingest.openSpans.size > 0) {
      closed = source.ingest.applyRefresh(source.reader.refresh([...source.ingest.openSpans.keys()]));
    }
    // Something moved: read every poll; nothing did: wait twice as long next time.
    source.idleMs = read > 0 || closed > 0 ? this.intervalMs : Math.min(MAX_IDLE_MS, source.idleMs * 2);
    source.nextRead = now + source.idleMs;
    // One that has exited, or owes slots, is read and looked up again at the next poll.
    if (source.reader.pendingSlots > 0 || source.ingest.process?.exited === true) {
      source.nextCheck = 0;
      source.nextRead = 0;
      source.idleMs = this.intervalMs;
    }
    if (last) {
      this.noteStop(source);
      this.noteLoss(source);
      source.reader.close();
      source.done = true;
    } else if (source.idleMs >= MAX_IDLE_MS) {
      source.reader.release(); // quiet: no descriptor held until it writes again
    }
  }

  /** The process stopped writing (disk full…): say so in the trace, once. */
  private noteStop(source: Source): void {
    if (source.stopNoted || !source.ingest) return;
    const status = source.reader.status();
    if (status.reason === 0) return;
    source.stopNoted = true;
    source.ingest.note(K.TRACER_STATUS, status.stopTs, status.reason, status.errno);
  }

  private noteLoss(source: Source): void {
    if (!source.ingest) return;
    const loss = source.reader.loss();
    const ts = source.ingest.process?.endTs ?? 0;
    if (loss.unwritten > 0) source.ingest.note(K.EVENTS_LOST, ts, loss.unwritten, source.stopNoted ? LOST_STOPPED : LOST_UNWRITTEN);
    if (loss.voided > 0) source.ingest.note(K.EVENTS_LOST, ts, loss.voided, LOST_VOIDED);
  }

  /** Whether the run directory's filesystem has no room left for a process's first window. */
  private diskFull(): boolean {
    try {
      const st = fs.statfsSync(this.options.dir);
      return st.bavail * st.bsize < (1 << 20);
    } catch {
      return false;
    }
  }
}
