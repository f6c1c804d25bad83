/**
 * Gathers the event files that the processes of one run write into the run
 * directory, live: polls for new files and new records, resolves them into
 * the store, and follows spans until their end is written.
 *
 * Only files whose header carries this run's token are read: another
 * program writing into the directory cannot inject events.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventFileError, EventFileReader, type Epoch } from './eventFile';
import { ProcessIngest } from './ingest';
import type { TraceStore } from './traceStore';

export interface CollectorOptions {
  dir: string;
  token: string;
  epoch: Epoch;
  store: TraceStore;
  intervalMs?: number;
  /** Told about files that were refused or could not be read. */
  onWarning?: (message: string) => void;
}

interface Source {
  reader: EventFileReader;
  ingest: ProcessIngest | undefined;
  rejected: boolean;
}

export class Collector {
  private readonly sources = new Map<string, Source>();
  private readonly ingests = new Map<number, ProcessIngest>();
  private timer: NodeJS.Timeout | undefined;
  /** Records read so far (the "collected" side of emitted == collected). */
  recordsRead = 0;
  rejectedFiles: string[] = [];

  constructor(private readonly options: CollectorOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.poll(false);
      } catch (err) {
        this.options.onWarning?.(`collector: ${(err as Error).message}`);
      }
    }, this.options.intervalMs ?? 30);
    this.timer.unref();
  }

  /** Stops polling and reads everything that is left. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.poll(true);
    for (const s of this.sources.values()) s.reader.close();
  }

  /** Pids of processes that have written something and not exited. */
  livePids(): number[] {
    const out: number[] = [];
    for (const [pid, ing] of this.ingests) if (ing.process && !ing.process.exited) out.push(pid);
    return out;
  }

  /** One pass over the run directory. `final`: the run is over, skip gaps, read to the end. */
  poll(final: boolean): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.options.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.endsWith('.ctev') || this.sources.has(name)) continue;
      const base = path.join(this.options.dir, name.slice(0, -5));
      this.sources.set(name, {
        reader: new EventFileReader(base + '.ctev', base + '.ctbl', this.options.epoch),
        ingest: undefined,
        rejected: false,
      });
    }
    for (const [name, source] of this.sources) {
      if (source.rejected) continue;
      try {
        this.pollSource(name, source, final);
      } catch (err) {
        if (err instanceof EventFileError) {
          source.rejected = true;
          this.rejectedFiles.push(name);
          this.options.onWarning?.(err.message);
        } else {
          throw err;
        }
      }
    }
  }

  private pollSource(name: string, source: Source, final: boolean): void {
    const header = source.reader.open();
    if (!header) return;
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
    }
    // Records first, then strings: a record's strings are written before it,
    // so every string a record read here names is in the blob file by now.
    const records = source.reader.readRecords(final);
    source.ingest.addBlobs(source.reader.readBlobs());
    source.ingest.ingest(records);
    this.recordsRead += records.length;
    if (source.ingest.openSpans.size > 0) {
      source.ingest.applyRefresh(source.reader.refresh([...source.ingest.openSpans.keys()]));
    }
  }
}
