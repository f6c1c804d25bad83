/**
 * The timeline app: holds the trace (rebuilt from protocol messages), the
 * view state, and draws on demand (one requestAnimationFrame per change).
 */
import { computeFlows, type Flow, type FlowKind } from '../src/core/analysis/flows';
import { applyAppend, storeFromSnapshot } from '../src/core/live/applyMessages';
import { TraceStore } from '../src/core/trace/traceStore';
import type { HostToWebview, RunState, SnapshotMessage } from '../src/protocol';
import { buildCpuModel, type CpuModel } from './data/cpuModel';
import { layoutLanes, type LaneRow, type Layout } from './data/laneLayout';
import { compileQuery, NO_QUERY, type SearchQuery } from './data/search';
import type { Category } from './data/spanKinds';
import { snapshotStore } from './data/snapshotCodec';
import { TimelineData } from './data/timelineData';
import type { Hit } from './hitTest';
import type { Host } from './host';
import { bindKeys } from './input/keys';
import { bindPointer } from './input/pointer';
import { ZoomController } from './input/zoom';
import { drawArrows, sortFlows } from './render/arrowsRenderer';
import { bottomLayout, drawBottom, type BottomLayout } from './render/bottomRenderer';
import { drawFinding } from './render/findingRenderer';
import { prepareCanvas, type DrawnItems, type Frame } from './render/frame';
import { drawLanes } from './render/lanesRenderer';
import { buildLevelsOfDetail } from './render/lodSpans';
import { readPalette, threadColor, watchTheme, type Palette } from './theme';
import { TimeView } from './timeView';
import { drawAxis, formatOffset } from './ui/axis';
import { DetailsPane } from './ui/details';
import { FindingSelection } from './findingSelection';
import { buildDom, LABEL_W, type Dom } from './ui/dom';
import { hoverText } from './ui/hoverText';
import { laneDetails } from './ui/laneDetails';
import { renderLaneLabels } from './ui/laneLabels';
import { bindControls, renderBottomLabels, renderChrome } from './ui/chrome';
import { Tooltip } from './ui/tooltip';

const AXIS_H = 24;

/** What of the process and thread tables shows in the lane labels (they are resent whole on every append). */
function tablesSignature(store: TraceStore): string {
  let s = '';
  for (const p of store.processes) s += `${p.pid},${p.parentPid},${p.name},${p.exitCode},${p.signal},${p.exited},${p.internal};`;
  for (const t of store.threads) s += `${t.name},${t.internal},${t.exception !== null};`;
  return s;
}

export class TimelineApp {
  store = new TraceStore();
  data = new TimelineData(this.store);
  layout: Layout = { rows: [], height: 0, anchor: new Int32Array(0), processRow: new Int32Array(0) };
  flows: Flow[] = [];
  /** Cores used and threads wanting CPU, rebuilt with the flows. */
  cpu: CpuModel | undefined;
  state: RunState = { status: 'saved', title: '' };
  readonly view = new TimeView();
  palette: Palette;
  readonly hidden = new Set<Category>();
  readonly flowKinds = new Set<FlowKind>(['spawn', 'join', 'queue', 'pipe', 'task']);
  readonly collapsed = new Set<number>();
  /** Helper groups unfolded by the user (folded by default: "my code" first). */
  readonly opened = new Set<string>();
  showHelpers = false;
  query: SearchQuery = NO_QUERY;
  selectedRow = -1;
  loaded = false;
  /** Milliseconds spent drawing each of the last frames (for the benchmark). */
  readonly frameMs: number[] = [];
  /** Milliseconds spent handling each of the last host messages. */
  readonly messageMs: number[] = [];
  /** performance.now() when the trace arrived (snapshot message, or the report's page started) and when its first frame was drawn. */
  readonly timing = { received: NaN, firstFrame: NaN, load: { store: 0, index: 0, layout: 0 } };
  /** The flows (arrows) of the loaded snapshot are computed (they follow its first frame). */
  flowsReady = false;
  /** Where the last frame's time went (ms). */
  lastPhases = { lanes: 0, arrows: 0, bottom: 0, axis: 0 };
  readonly dom: Dom;
  readonly zoom: ZoomController;
  readonly details: DetailsPane;
  /** The findings (host messages; the report's embedded snapshot), the pane, the selected one. */
  readonly findingSel: FindingSelection;
  private readonly tooltip: Tooltip;
  bottomLayout: BottomLayout = bottomLayout(0);
  private frameRequested = false;
  /**
   * The lanes' scroll offset and visible height, read from the DOM only when something may have
   * changed them (a scroll, a resize, a relayout, any request but a pan or zoom): reading them
   * after the last frame's axis and canvas writes forces a layout inside the frame.
   */
  private lanesBox = { scrollTop: 0, height: 0 };
  private lanesBoxStale = true;
  /** The timeline's height, read when it resizes (the zoom's extent; not read per pan or zoom). */
  private timelineHeight = 0;
  private flowsDirty = false;
  private flowTimer: ReturnType<typeof setTimeout> | undefined;
  private lastFlowMs = 0;
  private lastFlowAt = 0;
  private readonly readyWaiters: (() => void)[] = [];
  private tablesSeen = '';
  /** When the app last asked for a snapshot after a lost append. */
  private askedAt = -Infinity;

  constructor(root: HTMLElement, readonly host: Host) {
    this.dom = buildDom(root);
    this.palette = readPalette();
    this.tooltip = new Tooltip(document.body);
    this.details = new DetailsPane(this.dom.details, {
      openSource: host.connected ? (file, line) => host.post({ type: 'openSource', file, line }) : null,
      select: (row) => this.selectRow(row),
      close: () => this.clearSelection(),
    });
    this.findingSel = new FindingSelection(this, root, host);
    this.zoom = new ZoomController(this.dom.timeline, this.view, () => ({
      left: LABEL_W, width: this.view.width, height: this.timelineHeight,
    }), () => this.request(false));
    const pointer = bindPointer(this.dom, {
      frame: () => this.frame(),
      bottom: () => this.bottomLayout,
      hover: (hit, e) => this.hover(hit, e),
      cursor: (x) => this.cursor(x),
      select: (hit) => this.select(hit),
      zoomTo: (a, b) => this.zoom.zoomTo(a, b),
    });
    // Fit shows the program's activity, once it is over (a live run follows its end).
    this.zoom.fitRange = () => (this.state.status === 'running' ? undefined : this.data.fitRange(this.view.t1));
    bindKeys(document.body, this.zoom, pointer.lastX, () => this.clearSelection());
    bindControls(this, host);
    renderChrome(this);
    watchTheme(() => {
      this.palette = readPalette();
      renderChrome(this);
      this.relayout();
    });
    this.dom.lanesScroll.addEventListener('scroll', () => this.request(), { passive: true });
    new ResizeObserver(() => this.resize()).observe(this.dom.timeline);
    new ResizeObserver(() => this.request()).observe(this.dom.lanesScroll);
    this.resize();
  }

  /** Resolves once the first trace has been drawn with its arrows. */
  whenReady(): Promise<void> {
    return this.loaded && this.flowsReady ? Promise.resolve() : new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  start(): void {
    this.host.onMessage((m) => this.handle(m));
    const embedded = this.host.embedded();
    performance.mark('ct:embedded');
    if (embedded) {
      this.markReceived(0); // the page's start: the trace came with it
      this.loadSnapshot(embedded);
    }
    else this.host.post({ type: 'ready' });
  }

  handle(m: HostToWebview): void {
    const t = performance.now();
    if (m.type === 'snapshot') this.markReceived(t);
    this.apply(m);
    this.messageMs.push(performance.now() - t);
    if (this.messageMs.length > 1000) this.messageMs.splice(0, 500);
  }

  private markReceived(t: number): void {
    this.timing.received = t;
    this.timing.firstFrame = NaN;
  }

  private apply(m: HostToWebview): void {
    if (m.type === 'findings') {
      this.findingSel.set(m.findings);
      return;
    }
    if (m.type === 'selectFinding') {
      this.findingSel.reveal(m.id);
      return;
    }
    if (m.type === 'snapshot') this.loadSnapshot(m);
    else if (m.type === 'append') {
      if (!this.loaded || !applyAppend(this.store, m)) {
        // A lost step: ask for a fresh snapshot, once (again only if none came for a while).
        const now = performance.now();
        if (now - this.askedAt > 2000) {
          this.askedAt = now;
          this.host.post({ type: 'ready' });
        }
        return;
      }
      this.state = m.state;
      const structural = this.data.index();
      const tables = tablesSignature(this.store);
      if (structural || this.query.active || tables !== this.tablesSeen) this.relayout();
      this.tablesSeen = tables;
      this.flowsDirty = true;
      // While running, flows are recomputed at a bounded rate; the last message settles them.
      if (m.state.status === 'running') this.scheduleFlows();
      else this.recomputeFlows();
      this.refreshDomain();
      renderChrome(this);
      this.findingSel.refreshPane();
      this.request();
    } else {
      this.state = m.state;
      if (m.state.status !== 'running' && this.flowsDirty) this.recomputeFlows();
      this.refreshDomain();
      renderChrome(this);
      this.findingSel.refreshPane();
      this.request();
    }
  }

  /** Escape, or the details' close button: nothing selected. */
  clearSelection(): void {
    this.findingSel.clear();
    this.selectRow(-1);
  }

  /** Loads a snapshot once its columns are decoded (compressed ones, in the report, take a moment). */
  private loadSnapshot(m: SnapshotMessage): void {
    const t = performance.now();
    const failed = (err: unknown): void => {
      this.state = { ...m.state, status: 'failed', message: `The trace could not be read: ${err instanceof Error ? err.message : String(err)}` };
      this.dom.empty.textContent = this.state.message ?? '';
      this.dom.empty.hidden = false;
      renderChrome(this);
    };
    try {
      const store = snapshotStore(m);
      if (store instanceof TraceStore) this.load(m, store, performance.now() - t);
      else store.then((s) => this.load(m, s, performance.now() - t), failed);
    } catch (err) {
      failed(err);
    }
  }

  load(m: SnapshotMessage, store = storeFromSnapshot(m), decodeMs = 0): void {
    const first = !this.loaded;
    this.askedAt = -Infinity;
    const t0 = performance.now() - decodeMs;
    this.store = store;
    const t1 = performance.now();
    this.data = new TimelineData(this.store);
    this.data.index();
    const t2 = performance.now();
    performance.mark('ct:index');
    this.state = m.state;
    this.tablesSeen = tablesSignature(this.store);
    this.selectedRow = -1;
    this.details.hide();
    this.findingSel.reset(m.findings);
    if (this.query.active) this.query = compileQuery(this.store, this.query.text);
    this.refreshDomain();
    if (first) this.zoom.fit();
    this.relayout();
    this.timing.load = { store: t1 - t0, index: t2 - t1, layout: performance.now() - t2 };
    performance.mark('ct:layout');
    // Arrows follow a frame later: the first paint does not wait for a pass over the whole trace.
    this.flows = [];
    this.flowsDirty = true;
    this.flowsReady = false;
    const loaded = this.store;
    requestAnimationFrame(() => setTimeout(() => {
      if (this.store !== loaded) return; // a newer snapshot came: its own pass follows
      if (this.flowsDirty) this.recomputeFlows();
      // A saved trace: its crowded lanes' levels of detail now, not in the first frame that zooms out.
      if (this.state.status !== 'running') buildLevelsOfDetail(this.store, this.layout.rows.map((r) => r.spans));
      this.flowsReady = true;
      for (const w of this.readyWaiters.splice(0)) w();
    }));
    this.loaded = true;
    renderChrome(this);
    this.findingSel.refreshPane();
    this.request();
  }

  /** Where open spans end: the live clock while running, else the end of the trace. */
  openEnd(): number {
    return this.data.endTime(this.state.status === 'running' ? this.state.nowTs : undefined);
  }

  private refreshDomain(): void {
    const start = this.data.startTime();
    const end = this.openEnd();
    // A little room after the program's last event, so what ends there is not cut by the edge.
    const pad = this.state.status === 'running' ? 0 : (end - start) * 0.015;
    this.view.setDomain(start, end + pad);
    this.zoom.sync();
  }

  relayout(): void {
    this.layout = layoutLanes(this.data, {
      collapsed: this.collapsed, opened: this.opened, showHelpers: this.showHelpers, query: this.query, live: this.state.status === 'running',
    });
    renderLaneLabels(this.dom.laneLabels, this.layout, {
      toggle: (row) => this.toggleRow(row),
      inspect: (row) => this.inspectLane(row),
      threadColor: (t) => threadColor(this.palette, t),
    });
    this.findingSel.markLanes();
    this.bottomLayout = bottomLayout(this.data.coreSamples.length);
    renderBottomLabels(this);
    this.dom.empty.hidden = this.loaded || this.store.length > 0;
    this.request();
  }

  /** A twisty: fold or unfold a process (and what it started) or a helper group. */
  toggleRow(row: LaneRow): void {
    if (row.kind === 'helpers') {
      if (row.collapsed) this.opened.add(row.key);
      else this.opened.delete(row.key);
    } else if (this.collapsed.has(row.process)) this.collapsed.delete(row.process);
    else this.collapsed.add(row.process);
    this.relayout();
  }

  setQuery(text: string): void {
    this.query = compileQuery(this.store, text);
    this.relayout();
  }

  private scheduleFlows(): void {
    if (this.flowTimer) return;
    // computeFlows is a pass over the whole trace: run it at most ~10 % of the time.
    const wait = Math.max(0, this.lastFlowAt + Math.max(200, this.lastFlowMs * 10) - performance.now());
    this.flowTimer = setTimeout(() => {
      this.flowTimer = undefined;
      if (this.flowsDirty) this.recomputeFlows();
    }, wait);
  }

  recomputeFlows(): void {
    const t = performance.now();
    this.flows = sortFlows(computeFlows(this.store));
    this.cpu = buildCpuModel(this.data, this.openEnd());
    this.flowsDirty = false;
    renderBottomLabels(this);
    this.lastFlowAt = performance.now();
    this.lastFlowMs = this.lastFlowAt - t;
    this.request();
  }

  private resize(): void {
    const w = Math.max(50, this.dom.timeline.clientWidth - LABEL_W);
    this.timelineHeight = this.dom.timeline.clientHeight;
    this.view.width = w;
    this.zoom.sync();
    this.request();
  }

  /** Asks for a frame; `measure` false: only the time view changed (a pan or zoom), the DOM did not. */
  request(measure = true): void {
    if (measure) this.lanesBoxStale = true;
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.render();
    });
  }

  frame(collect?: DrawnItems): Frame {
    const sel = this.findingSel.forFrame();
    if (this.lanesBoxStale) {
      this.lanesBox = { scrollTop: this.dom.lanesScroll.scrollTop, height: this.dom.lanesScroll.clientHeight };
      this.lanesBoxStale = false;
    }
    return {
      store: this.store, data: this.data, layout: this.layout, view: this.view, palette: this.palette,
      openEnd: this.openEnd(), scrollTop: this.lanesBox.scrollTop, viewHeight: this.lanesBox.height,
      hidden: this.hidden, flowKinds: this.flowKinds, flows: this.flows, cpu: this.cpu, query: this.query, selectedRow: this.selectedRow, finding: sel, collect,
    };
  }

  /** Draws everything now; returns the frame (with what was drawn when collecting). */
  render(collect?: DrawnItems): Frame {
    const t = performance.now();
    const f = this.frame(collect);
    const w = this.view.width;
    const lanes = prepareCanvas(this.dom.lanesCanvas, w, f.viewHeight);
    drawLanes(lanes, f);
    const t1 = performance.now();
    drawArrows(lanes, f);
    drawFinding(lanes, f);
    const t2 = performance.now();
    const bottom = prepareCanvas(this.dom.bottomCanvas, w, this.bottomLayout.height);
    drawBottom(bottom, f, this.bottomLayout);
    const t3 = performance.now();
    drawAxis(this.dom.axis, this.view, w, AXIS_H, 0);
    const ms = performance.now() - t;
    this.lastPhases = { lanes: t1 - t, arrows: t2 - t1, bottom: t3 - t2, axis: t + ms - t3 };
    if (this.loaded && Number.isNaN(this.timing.firstFrame)) {
      this.timing.firstFrame = t + ms;
      performance.mark('ct:firstFrame');
    }
    if (!collect) {
      this.frameMs.push(ms);
      if (this.frameMs.length > 1000) this.frameMs.splice(0, 500);
    }
    return f;
  }

  private hover(hit: Hit | undefined, e: MouseEvent): void {
    const text = hit ? hoverText(this.data, this.layout, hit, this.view.t0, this.openEnd()) : undefined;
    if (!text || (hit?.type === 'lane')) this.tooltip.hide();
    else this.tooltip.show(e.clientX, e.clientY, text.title, text.lines, text.body);
  }

  private cursor(x: number | undefined): void {
    const c = this.dom.cursor;
    if (x === undefined || !this.loaded) {
      c.hidden = true;
      this.dom.readout.textContent = '';
      return;
    }
    c.hidden = false;
    c.style.left = `${LABEL_W + x}px`;
    this.dom.readout.textContent = `t = ${formatOffset(this.view.t(x) - this.view.t0, this.view.nsPerPx)}`;
  }

  private select(hit: Hit | undefined): void {
    if (hit?.type === 'event' || hit?.type === 'stdout') this.selectRow(hit.row);
    else if (hit?.type === 'lane') this.inspectLane(this.layout.rows[hit.lane]);
    else if (hit?.type === 'cluster') this.zoom.zoomTo(hit.from, Math.max(hit.to, hit.from + 1)); // spread them over the width
    else this.selectRow(-1);
  }

  selectRow(row: number): void {
    this.selectedRow = row;
    if (row < 0) this.details.hide();
    else this.details.show(this.store, this.data.naming, row, this.view.t0, this.openEnd(), this.flows, (r) => this.data.taskName(r));
    this.request();
  }

  private inspectLane(row: LaneRow | undefined): void {
    if (!row) return;
    this.selectedRow = -1;
    const d = laneDetails(this.data, row, { v0: this.view.v0, v1: this.view.v1, openEnd: this.openEnd() });
    this.details.showText(d.title, d.rows);
    this.request();
  }
}
