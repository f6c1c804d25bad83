/**
 * Findings in the Problems panel while their trace is open (a run's panel or
 * a .ctrace editor): a diagnostic at every site in the user's files, with the
 * finding's message, its severity, and related information pointing at every
 * other site; hovering the statement shows the explanation and the steps of
 * the run; a quick fix (and a link in the hover) shows the finding in its
 * timeline. Each open trace owns its diagnostics: they are replaced when its
 * findings change and removed when it closes.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { Finding, FindingSeverity, FindingSite } from '../core/analysis/finding';
import { kindTitle, kindWords } from '../core/live/findingState';
import { resolveSourcePath } from './traceActions';

export const REVEAL_FINDING_COMMAND = 'concurrencyTrace.revealFinding';
export const DIAGNOSTIC_SOURCE = 'Concurrency Trace';

/** An open trace whose findings are shown. */
export interface FindingOwner {
  /** Unique among open traces. */
  readonly key: string;
  /** Folder relative source paths are relative to. */
  readonly baseDir?: string;
  /** Brings the trace to the front with this finding selected. */
  reveal(findingId: string): void;
}

interface Marker {
  owner: string;
  finding: Finding;
  file: string;
  line: number;
  range: vscode.Range;
  related: { file: string; line: number }[];
}

const SEVERITY: Record<FindingSeverity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** The statement on a line: from its first non-blank character to the end (the whole line if unreadable). */
function lineRange(lines: string[] | undefined, line: number): vscode.Range {
  const text = lines?.[line - 1];
  if (text === undefined) return new vscode.Range(line - 1, 0, line - 1, 1000);
  const start = text.length - text.trimStart().length;
  return new vscode.Range(line - 1, start, line - 1, Math.max(start + 1, text.trimEnd().length));
}

export class FindingDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('concurrency-trace');
  private readonly owners = new Map<string, { owner: FindingOwner; findings: readonly Finding[] }>();
  /** What the diagnostics of each file stand for (uri string → markers). */
  private markers = new Map<string, Marker[]>();
  private readonly disposables: vscode.Disposable[];
  private disposed = false;

  constructor() {
    this.disposables = [
      this.collection,
      vscode.languages.registerHoverProvider({ scheme: 'file' }, { provideHover: (doc, pos) => this.hover(doc.uri, pos) }),
      vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, {
        provideCodeActions: (doc, _range, context) => this.codeActions(doc.uri, context.diagnostics),
      }, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
      vscode.commands.registerCommand(REVEAL_FINDING_COMMAND, (owner: unknown, id: unknown) => this.reveal(String(owner), String(id))),
    ];
  }

  /** The findings of an open trace now (replacing what it showed before). */
  set(owner: FindingOwner, findings: readonly Finding[]): void {
    if (this.disposed) return;
    this.owners.set(owner.key, { owner, findings });
    this.rebuild();
  }

  /** The trace closed: its diagnostics go. */
  clear(key: string): void {
    if (!this.disposed && this.owners.delete(key)) this.rebuild();
  }

  /** Diagnostics per file (for tests and the e2e through the API). */
  current(): { file: string; line: number; message: string; severity: FindingSeverity; kind: string; id: string; related: { file: string; line: number }[] }[] {
    return [...this.markers.values()].flat().map((m) => ({
      file: m.file, line: m.line, message: m.finding.message, severity: m.finding.severity, kind: m.finding.kind, id: m.finding.id, related: m.related,
    }));
  }

  dispose(): void {
    this.disposed = true;
    for (const d of this.disposables) d.dispose();
    this.owners.clear();
    this.markers.clear();
  }

  /** Sites of a finding in files that exist here, one per (file, line), absolute. */
  private siteLocations(owner: FindingOwner | undefined, f: Finding): (FindingSite & { file: string })[] {
    const seen = new Set<string>();
    const out: (FindingSite & { file: string })[] = [];
    for (const s of f.sites) {
      if (!s.file || !(s.line >= 1) || s.file.startsWith('<')) continue;
      const file = resolveSourcePath(s.file, owner?.baseDir);
      const key = `${file}:${s.line}`;
      if (seen.has(key) || !isFile(file)) continue;
      seen.add(key);
      out.push({ ...s, file });
    }
    return out;
  }

  private rebuild(): void {
    const byFile = new Map<string, { uri: vscode.Uri; diagnostics: vscode.Diagnostic[]; markers: Marker[] }>();
    const lines = new Map<string, string[] | undefined>();
    const linesOf = (file: string): string[] | undefined => {
      if (!lines.has(file)) lines.set(file, readLines(file));
      return lines.get(file);
    };
    const done = new Set<string>();
    for (const { owner, findings } of this.owners.values()) {
      for (const f of findings) {
        const sites = this.siteLocations(owner, f);
        for (const s of sites) {
          // The same finding seen by two open traces (the run's panel and its saved file) shows once.
          const key = `${f.id}\0${s.file}\0${s.line}`;
          if (done.has(key)) continue;
          done.add(key);
          const range = lineRange(linesOf(s.file), s.line);
          const d = new vscode.Diagnostic(range, f.message, SEVERITY[f.severity] ?? vscode.DiagnosticSeverity.Warning);
          d.source = DIAGNOSTIC_SOURCE;
          d.code = f.kind;
          d.relatedInformation = sites.filter((o) => o !== s).map((o) => new vscode.DiagnosticRelatedInformation(
            new vscode.Location(vscode.Uri.file(o.file), lineRange(linesOf(o.file), o.line)), o.role || f.message));
          let entry = byFile.get(s.file);
          if (!entry) byFile.set(s.file, (entry = { uri: vscode.Uri.file(s.file), diagnostics: [], markers: [] }));
          entry.diagnostics.push(d);
          entry.markers.push({ owner: owner.key, finding: f, file: s.file, line: s.line, range,
            related: sites.filter((o) => o !== s).map((o) => ({ file: o.file, line: o.line })) });
        }
      }
    }
    this.collection.clear();
    this.markers = new Map();
    for (const e of byFile.values()) {
      this.collection.set(e.uri, e.diagnostics);
      this.markers.set(e.uri.toString(), e.markers);
    }
  }

  private at(uri: vscode.Uri, line0: number): Marker[] {
    return (this.markers.get(uri.toString()) ?? []).filter((m) => m.line - 1 === line0);
  }

  private hover(uri: vscode.Uri, pos: vscode.Position): vscode.Hover | undefined {
    const here = this.at(uri, pos.line).filter((m) => m.range.contains(pos));
    if (here.length === 0) return undefined;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: [REVEAL_FINDING_COMMAND] };
    const seen = new Set<string>();
    for (const m of here) {
      if (seen.has(m.finding.id)) continue;
      seen.add(m.finding.id);
      const f = m.finding;
      if (seen.size > 1) md.appendMarkdown('\n\n---\n\n');
      md.appendMarkdown(`**${kindTitle(f.kind)}** (Concurrency Trace)\n\n`);
      // Trace text (names, values) is appended as text: it cannot become markup or a link.
      md.appendText(f.explanation || f.message);
      if (f.steps?.length) {
        md.appendMarkdown('\n\nIn this run:\n\n');
        f.steps.forEach((s, i) => {
          md.appendMarkdown(`${i + 1}. `);
          md.appendText(s);
          md.appendMarkdown('\n');
        });
      }
      const args = encodeURIComponent(JSON.stringify([m.owner, f.id]));
      md.appendMarkdown(`\n\n[$(pulse) Show in the timeline](command:${REVEAL_FINDING_COMMAND}?${args} "Select this finding in its timeline")`);
    }
    return new vscode.Hover(md, here[0].range);
  }

  private codeActions(uri: vscode.Uri, diagnostics: readonly vscode.Diagnostic[]): vscode.CodeAction[] {
    const out: vscode.CodeAction[] = [];
    for (const d of diagnostics) {
      if (d.source !== DIAGNOSTIC_SOURCE) continue;
      const m = this.at(uri, d.range.start.line).find((x) => x.finding.message === d.message);
      if (!m) continue;
      const action = new vscode.CodeAction(`Show ${kindWords(m.finding.kind)} in the timeline`, vscode.CodeActionKind.QuickFix);
      action.diagnostics = [d];
      action.command = { command: REVEAL_FINDING_COMMAND, title: 'Show in the timeline', arguments: [m.owner, m.finding.id] };
      out.push(action);
    }
    return out;
  }

  /** Selects a finding in its timeline (or in any open trace that has it). */
  reveal(ownerKey: string, findingId: string): boolean {
    const own = this.owners.get(ownerKey);
    const target = own?.findings.some((f) => f.id === findingId)
      ? own.owner
      : [...this.owners.values()].find((o) => o.findings.some((f) => f.id === findingId))?.owner;
    if (!target) {
      void vscode.window.showInformationMessage('Concurrency Trace: the trace with this finding is no longer open.');
      return false;
    }
    target.reveal(findingId);
    return true;
  }
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function readLines(file: string): string[] | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > 8 * 1024 * 1024) return undefined;
    return fs.readFileSync(file, 'utf8').split(/\r?\n/);
  } catch {
    return undefined;
  }
}
