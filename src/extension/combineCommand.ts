/**
 * "Combine Traces…": pick the .ctrace files of a program's parts (run in other
 * terminals or on other machines), write the combined trace (core/merge) and
 * open it. And an offer: when a trace is saved into a folder the extension
 * watches (its runs' folder, the trace folder setting, the workspace's top
 * folder, where `concurrency-trace run` leaves traces by default) and it ran
 * at the same time as other saved traces and talked to them, a notification
 * offers to combine them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MergeError, mergeTraces } from '../core/merge/mergeTraces';
import { clockLines } from '../core/merge/mergeReport';
import { relatedGroup, traceLinks, type TraceLinks } from '../core/merge/relatedTraces';
import { TraceFileError, readTrace, writeTrace } from '../core/traceFile';
import { listTraces, type StoredTrace } from '../core/traceStorage';
import { TRACE_VIEW_TYPE } from './traceEditor';

export interface CombineDeps {
  traceFolders: () => string[];
  log: vscode.LogOutputChannel;
}

/** Only traces saved this recently are read to look for partners (and at most this many, this large). */
const RECENT_MS = 6 * 3600 * 1000;
const MAX_CANDIDATES = 24;
const MAX_BYTES = 256 << 20;

export function registerCombineCommand(deps: CombineDeps): vscode.Disposable[] {
  const offers = new CombineOffers(deps);
  return [
    vscode.commands.registerCommand('concurrencyTrace.combineTraces', (uri?: vscode.Uri, uris?: vscode.Uri[]) => combineCommand(deps, uri, uris)),
    offers,
  ];
}

/** Folders to look in: the extension's trace folders, then the workspace's top folders. */
function folders(deps: CombineDeps): string[] {
  const ws = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  return [...new Set([...deps.traceFolders(), ...ws])];
}

function recentTraces(deps: CombineDeps): StoredTrace[] {
  const now = Date.now();
  return folders(deps).flatMap((f) => listTraces(f))
    .filter((t) => now - t.mtimeMs < RECENT_MS && t.size <= MAX_BYTES)
    .sort((a, b) => b.mtimeMs - a.mtimeMs)
    .slice(0, MAX_CANDIDATES);
}

/** Links of the traces that can be read (a damaged or foreign file is skipped, and logged). */
function linksOf(deps: CombineDeps, files: string[]): TraceLinks[] {
  const out: TraceLinks[] = [];
  for (const file of files) {
    try {
      out.push(traceLinks(file, readTrace(file)));
    } catch (err) {
      deps.log.warn(`combine: ${file} skipped (${(err as Error).message})`);
    }
  }
  return out;
}

async function combineCommand(deps: CombineDeps, uri?: vscode.Uri, uris?: vscode.Uri[]): Promise<string | undefined> {
  // The explorer passes the clicked file and every selected one.
  let files = (uris && uris.length > 1 ? uris : []).map((u) => u.fsPath);
  if (files.length < 2) files = await pickFiles(deps, uri?.fsPath);
  if (files.length < 2) {
    if (files.length === 1) void vscode.window.showWarningMessage('Concurrency Trace: pick at least two traces to combine.');
    return undefined;
  }
  return combineFiles(deps, files);
}

/** Recent traces to tick (the ones that belong with the newest, or with `start`, ticked already), or browse. */
async function pickFiles(deps: CombineDeps, start?: string): Promise<string[]> {
  const recent = recentTraces(deps);
  if (recent.length >= 2) {
    const links = linksOf(deps, recent.map((t) => t.file));
    const anchor = links.find((l) => l.file === start) ?? links.find((l) => !l.combined);
    const suggested = new Set(anchor ? relatedGroup(anchor, links).map((l) => l.file) : []);
    if (suggested.size < 2) suggested.clear();
    const items = recent.map((t) => ({
      label: t.name, description: new Date(t.mtimeMs).toLocaleString(), detail: path.dirname(t.file), file: t.file,
      picked: suggested.has(t.file),
    }));
    const browse = { label: '$(folder-opened) Browse for other traces…', description: '', detail: '', file: '', picked: false };
    const picked = await vscode.window.showQuickPick([...items, browse], {
      title: 'Combine Traces', canPickMany: true,
      placeHolder: suggested.size ? 'Ticked: runs that overlapped in time and talked to each other' : 'The traces of one program\'s parts',
    });
    if (!picked) return [];
    const files = picked.filter((p) => p.file).map((p) => p.file);
    if (!picked.some((p) => !p.file)) return files;
    return [...files, ...await browseFiles()];
  }
  return browseFiles();
}

async function browseFiles(): Promise<string[]> {
  const picked = await vscode.window.showOpenDialog({ title: 'Combine Traces', filters: { 'Concurrency Trace': ['ctrace'] }, canSelectMany: true });
  return (picked ?? []).map((u) => u.fsPath);
}

/** Merges the files, asks where to save the result, writes it and opens it. Returns the file written. */
export async function combineFiles(deps: CombineDeps, files: string[]): Promise<string | undefined> {
  let merged: ReturnType<typeof mergeTraces>;
  try {
    merged = mergeTraces(files.map((f) => ({ file: path.basename(f), store: readTrace(f) })));
  } catch (err) {
    if (!(err instanceof MergeError) && !(err instanceof TraceFileError)) throw err;
    deps.log.error(`combine: ${(err as Error).message}`);
    void vscode.window.showErrorMessage(`Concurrency Trace: ${(err as Error).message}`);
    return undefined;
  }
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const target = await vscode.window.showSaveDialog({
    title: 'Save Combined Trace',
    defaultUri: vscode.Uri.file(path.join(path.dirname(files[0]), `combined-${stamp}.ctrace`)),
    filters: { 'Concurrency Trace': ['ctrace'] },
  });
  if (!target) return undefined;
  if (files.some((f) => path.resolve(f) === path.resolve(target.fsPath))) {
    void vscode.window.showErrorMessage('Concurrency Trace: the combined trace would overwrite one of its parts; choose another name.');
    return undefined;
  }
  try {
    writeTrace(target.fsPath, merged.store);
  } catch (err) {
    void vscode.window.showErrorMessage(`Concurrency Trace: ${(err as Error).message}`);
    return undefined;
  }
  for (const line of clockLines(merged.info)) deps.log.info(`combine: ${line}`);
  for (const note of merged.info.notes) deps.log.warn(`combine: ${note}`);
  await vscode.commands.executeCommand('vscode.openWith', target, TRACE_VIEW_TYPE);
  return target.fsPath;
}

/**
 * Watches the folders traces are saved into; a new trace that ran with
 * others and talked to them brings up one offer per group of traces.
 */
class CombineOffers implements vscode.Disposable {
  private readonly watchers: fs.FSWatcher[] = [];
  private readonly seen = new Set<string>();
  private readonly offered = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<string>();

  constructor(private readonly deps: CombineDeps) {
    for (const folder of folders(deps)) {
      try {
        fs.mkdirSync(folder, { recursive: true });
        for (const t of listTraces(folder)) this.seen.add(t.file);
        const w = fs.watch(folder, { persistent: false }, (_event, name) => {
          if (typeof name === 'string' && name.endsWith('.ctrace')) this.saw(path.join(folder, name));
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch (err) {
        deps.log.warn(`combine: cannot watch ${folder} (${(err as Error).message})`);
      }
    }
  }

  private saw(file: string): void {
    if (this.seen.has(file)) return;
    this.pending.add(file);
    // Saving ends with a rename; give the writer a moment, then look once for everything new.
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), 500);
  }

  private async check(): Promise<void> {
    const files = [...this.pending].filter((f) => fs.existsSync(f));
    this.pending.clear();
    for (const f of files) this.seen.add(f);
    if (files.length === 0) return;
    const links = linksOf(this.deps, [...new Set([...files, ...recentTraces(this.deps).map((t) => t.file)])]);
    for (const file of files) {
      const own = links.find((l) => l.file === file);
      if (!own || own.combined) continue;
      const group = relatedGroup(own, links);
      if (group.length < 2) continue;
      const key = group.map((g) => g.file).sort().join('\0');
      if (this.offered.has(key)) continue;
      this.offered.add(key);
      const others = group.slice(1).map((g) => path.basename(g.file));
      const combine = 'Combine…';
      const pick = await vscode.window.showInformationMessage(
        `${path.basename(file)} ran at the same time as ${others.join(', ')} and talked to ${others.length > 1 ? 'them' : 'it'}. Combine them into one trace?`,
        combine,
      );
      if (pick === combine) await combineFiles(this.deps, group.map((g) => g.file));
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers.splice(0)) w.close();
  }
}
