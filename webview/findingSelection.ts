/**
 * The app's findings: the list (from the host, or the report's snapshot),
 * the Findings pane that shows it, and the selected finding — what selecting
 * one does (zoom to its window, unfold and scroll to its lanes, mark their
 * labels, its details) and how a selection follows a live list.
 */
import type { Finding } from '../src/core/analysis/finding';
import type { TimelineApp } from './app';
import { findingRows, findingThreads, findingZoom } from './data/findingView';
import type { Host } from './host';
import type { FrameFinding } from './render/frame';
import { showFindingDetails } from './ui/findingDetails';
import { FindingsPane } from './ui/findingsPane';

export class FindingSelection {
  list: Finding[] = [];
  /** The selected finding, with the rows and threads it rests on. */
  selected: FrameFinding | undefined;
  readonly pane: FindingsPane;
  /** Trace length the selected finding's rows were looked up at. */
  private rowsAt = -1;

  constructor(private readonly app: TimelineApp, root: HTMLElement, private readonly host: Host) {
    this.pane = new FindingsPane(root, app.dom.main, {
      select: (id) => this.select(id),
      stop: host.connected ? () => host.post({ type: 'stop' }) : null,
    });
  }

  /** A new trace (snapshot): its findings, nothing selected. */
  reset(list: Finding[] | undefined): void {
    this.list = Array.isArray(list) ? list : [];
    this.selected = undefined;
    this.pane.setSelected(undefined);
  }

  /** The pane follows the list and the run's status. */
  refreshPane(): void {
    this.pane.update(this.list, this.app.state.status === 'running');
  }

  /** A new list (live): the selected finding follows its new version, or goes. */
  set(list: Finding[]): void {
    const app = this.app;
    this.list = Array.isArray(list) ? list : [];
    this.refreshPane();
    const before = this.selected?.finding;
    if (before) {
      const f = this.list.find((x) => x.id === before.id);
      if (f) {
        this.selected = this.resolve(f);
        // The details follow a finding that grew, unless they show one of its events.
        if (app.selectedRow < 0 && JSON.stringify(f) !== JSON.stringify(before)) this.showDetails();
      } else {
        this.clear();
        if (app.selectedRow < 0) app.details.hide();
      }
      this.markLanes();
    }
    app.request();
  }

  /** Shows a finding: its window, its lanes (unfolded and scrolled to), its events and arrows, its details. */
  select(id: string): void {
    const app = this.app;
    const f = this.list.find((x) => x.id === id);
    if (!f) return;
    this.selected = this.resolve(f);
    app.selectedRow = -1;
    this.pane.setSelected(id);
    let unfolded = false;
    for (const t of this.selected.threads) {
      const p = app.store.threads[t]?.process;
      if (p !== undefined && app.collapsed.delete(p)) unfolded = true;
    }
    if (unfolded) app.relayout();
    this.showDetails();
    const [a, b] = findingZoom(f);
    app.zoom.zoomTo(a, b);
    const lanes = this.selected.threads.map((t) => app.layout.anchor[t]).filter((i) => i >= 0).map((i) => app.layout.rows[i]);
    if (lanes.length) {
      const top = Math.min(...lanes.map((r) => r.y));
      const bottom = Math.max(...lanes.map((r) => r.y + r.height));
      const s = app.dom.lanesScroll;
      if (top < s.scrollTop || bottom > s.scrollTop + s.clientHeight) s.scrollTop = Math.max(0, top - 8);
    }
    this.markLanes();
    app.request();
  }

  /** The host asks to show one (Problems panel): unfold the list, unhide its kind, select it. */
  reveal(id: string): void {
    const f = this.list.find((x) => x.id === id);
    if (f) this.pane.hiddenKinds.delete(f.kind);
    this.pane.setExpanded(true);
    this.select(id);
  }

  clear(): void {
    this.selected = undefined;
    this.pane.setSelected(undefined);
    this.markLanes();
  }

  /** The selection for a frame; live, rows it names may have arrived since it was selected. */
  forFrame(): FrameFinding | undefined {
    const sel = this.selected;
    if (sel && this.rowsAt !== this.app.store.length) this.selected = this.resolve(sel.finding);
    return this.selected;
  }

  /** The lane labels of the selected finding get a mark in its severity's colour. */
  markLanes(): void {
    const app = this.app;
    const keys = new Set<string>();
    const sel = this.selected;
    if (sel) {
      for (const t of sel.threads) {
        const i = app.layout.anchor[t];
        if (i >= 0) keys.add(app.layout.rows[i].key);
      }
    }
    const severity = sel?.finding.severity ?? 'error';
    for (const e of Array.from(app.dom.laneLabels.querySelectorAll<HTMLElement>('.lane-label'))) {
      const on = keys.has(e.dataset.key ?? '');
      e.classList.toggle('in-finding', on);
      for (const s of ['error', 'warning', 'info']) e.classList.toggle(`in-finding-${s}`, on && s === severity);
    }
  }

  private resolve(f: Finding): FrameFinding {
    const store = this.app.store;
    this.rowsAt = store.length;
    return { finding: f, rows: findingRows(store, f), threads: findingThreads(store, f) };
  }

  private showDetails(): void {
    const sel = this.selected;
    if (!sel) return;
    const app = this.app;
    showFindingDetails(app.details, sel.finding, {
      store: app.store, t0: app.view.t0, rows: sel.rows,
      openSource: this.host.connected ? (file, line) => this.host.post({ type: 'openSource', file, line }) : null,
      selectRow: (row) => app.selectRow(row),
    });
  }
}
