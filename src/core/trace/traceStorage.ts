/**
 * Where the extension keeps the traces of its runs: one folder, files named
 * `<script>-<yyyymmdd-hhmmss-mmm>.ctrace`, the newest N kept. Only files of
 * that shape are ever pruned, so a trace the user saved there by hand stays.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeTrace } from './traceFile';
import type { TraceStore } from './traceStore';

const AUTO_NAME = /^.+-\d{8}-\d{6}-\d{3}(?:-\d+)?\.ctrace$/;

export const DEFAULT_KEEP = 20;

export interface StoredTrace {
  name: string;
  file: string;
  mtimeMs: number;
  size: number;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** A trace name for a run of `script` started at `when` (local time, sorts by time). */
export function traceFileName(script: string, when: Date): string {
  const base = path.basename(script).replace(/\.pyw?$/i, '').replace(/[^\w.-]+/g, '_') || 'script';
  const d = `${when.getFullYear()}${pad(when.getMonth() + 1)}${pad(when.getDate())}`;
  const t = `${pad(when.getHours())}${pad(when.getMinutes())}${pad(when.getSeconds())}-${pad(when.getMilliseconds(), 3)}`;
  return `${base}-${d}-${t}.ctrace`;
}

export function isAutoSavedTrace(name: string): boolean {
  return AUTO_NAME.test(name);
}

/** The auto-saved traces beyond the newest `keep` (newest by mtime, then name). `keep` < 1 keeps one. */
export function tracesToPrune<T extends { name: string; mtimeMs: number }>(entries: T[], keep: number): T[] {
  const auto = entries.filter((e) => isAutoSavedTrace(e.name));
  auto.sort((x, y) => y.mtimeMs - x.mtimeMs || (y.name < x.name ? -1 : y.name > x.name ? 1 : 0));
  return auto.slice(Math.max(1, Math.floor(keep) || 0));
}

/** Traces in the folder, newest first; an absent folder has none. */
export function listTraces(folder: string): StoredTrace[] {
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return [];
  }
  const out: StoredTrace[] = [];
  for (const name of names) {
    if (!name.endsWith('.ctrace')) continue;
    try {
      const st = fs.statSync(path.join(folder, name));
      if (st.isFile()) out.push({ name, file: path.join(folder, name), mtimeMs: st.mtimeMs, size: st.size });
    } catch {
      // removed meanwhile
    }
  }
  return out.sort((a, b) => b.mtimeMs - a.mtimeMs);
}

/** Deletes the auto-saved traces beyond the newest `keep`; returns the files deleted. */
export function pruneTraces(folder: string, keep: number): string[] {
  const removed: string[] = [];
  for (const t of tracesToPrune(listTraces(folder), keep)) {
    try {
      fs.rmSync(t.file, { force: true });
      removed.push(t.file);
    } catch {
      // in use or gone: next time
    }
  }
  return removed;
}

export interface SavedTrace {
  file: string;
  pruned: string[];
}

/** Writes the run's trace into the folder under a fresh name, then prunes. */
export function saveRunTrace(folder: string, script: string, store: TraceStore, keep: number, when = new Date()): SavedTrace {
  fs.mkdirSync(folder, { recursive: true });
  let file = path.join(folder, traceFileName(script, when));
  for (let i = 1; fs.existsSync(file); i++) file = path.join(folder, traceFileName(script, when).replace(/\.ctrace$/, `-${i}.ctrace`));
  writeTrace(file, store);
  return { file, pruned: pruneTraces(folder, keep) };
}
