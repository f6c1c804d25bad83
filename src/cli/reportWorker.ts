/**
 * `run --html`: the HTML report is built in a worker thread from the saved
 * trace. Building it is one long synchronous step (8.5 s for 5 M events on a
 * 2-core machine); on the main thread no signal would be answered meanwhile
 * (a Ctrl-C then went unanswered and was dropped). The main thread stays free
 * for SaveGuard: told on the first signal, stopped on the second.
 *
 * Stopping never leaves half a file: the worker claims the write with one
 * atomic step on a shared word before it creates its temp file. Stopped before
 * that claim, the worker is terminated and writes nothing; after it, the write
 * (tens of milliseconds: the page is built already) is let finish.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { DestinationError, describeWriteError, writeFileAtomic } from '../core/trace/safeFile';
import { readTrace } from '../core/trace/traceFile';

const GO = 0;
const STOP = 1;
const WRITING = 2;

interface ReportJob {
  trace: string;
  html: string;
  /** One Int32: GO, STOP (asked by the main thread) or WRITING (claimed by the worker). */
  state: SharedArrayBuffer;
}

type ReportReply = { written: true } | { error: string };

function isJob(data: unknown): data is { reportJob: ReportJob } {
  return typeof data === 'object' && data !== null && 'reportJob' in data;
}

/** In a worker started by writeReportAside: does the job and returns true; elsewhere false. */
export function runReportJobIfWorker(): boolean {
  if (isMainThread || !parentPort || !isJob(workerData)) return false;
  const { trace, html, state } = workerData.reportJob;
  const port = parentPort;
  const flag = new Int32Array(state);
  const reply = (r: ReportReply): void => port.postMessage(r);
  try {
    const { buildHtmlReport } = require('../core/export/htmlReport') as typeof import('../core/export/htmlReport');
    const page = buildHtmlReport(readTrace(trace));
    // Stopped meanwhile: nothing is written (the main thread terminates this worker).
    if (Atomics.compareExchange(flag, 0, GO, WRITING) !== GO) return true;
    writeFileAtomic(html, page);
    reply({ written: true });
  } catch (err) {
    reply({ error: err instanceof DestinationError ? err.message : `could not write the HTML report: ${describeWriteError(html, err)}` });
  }
  return true;
}

export interface ReportAside {
  /** 'written', 'stopped', or the error's message. */
  done: Promise<'written' | 'stopped' | { error: string }>;
  /** Stops the report if it is not being written yet (then nothing is written); else lets the write end. */
  stop(): void;
}

/** Builds and writes the HTML report of the trace saved at `trace` in a worker thread running `script` (this bundle). */
export function writeReportAside(script: string, trace: string, html: string): ReportAside {
  const state = new SharedArrayBuffer(4);
  const flag = new Int32Array(state);
  const job: ReportJob = { trace, html, state };
  const worker = new Worker(script, { workerData: { reportJob: job }, stdout: false, stderr: false });
  let stopped = false;
  const done = new Promise<'written' | 'stopped' | { error: string }>((resolve) => {
    let reply: ReportReply | undefined;
    worker.on('message', (m: ReportReply) => (reply = m));
    worker.on('error', (err) => (reply = { error: `could not write the HTML report: ${err.message}` }));
    worker.on('exit', () => {
      if (reply && 'written' in reply) resolve('written');
      else if (stopped) resolve('stopped');
      else resolve(reply ?? { error: 'could not write the HTML report: its worker ended early' });
    });
  });
  return {
    done,
    stop: () => {
      if (Atomics.compareExchange(flag, 0, GO, STOP) !== GO) return;
      stopped = true;
      void worker.terminate();
    },
  };
}
