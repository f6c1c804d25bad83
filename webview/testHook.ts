/**
 * window.__concurrencyTrace: what the tests (and the end-to-end test in a
 * real VS Code) assert on — lanes, spans, arrows, CPU, stdout — in page
 * coordinates, without guessing from pixels.
 */
import type { TimelineApp } from './app';
import { eventName } from './data/spanKinds';
import type { DrawnArrow, DrawnColumn, DrawnFinding, DrawnPhase, DrawnPoint, DrawnRun, DrawnSpan, DrawnItems } from './render/frame';

export interface LaneInfo {
  key: string;
  label: string;
  detail: string;
  pid: number;
  tid?: number;
  y: number;
  height: number;
  kind: string;
  dim: boolean;
  /** The row stands for a process (a header, or the one row of a process with one thread of its own). */
  process: boolean;
  collapsed: boolean;
}

export interface LayoutInfo {
  lanes: LaneInfo[];
  spans: { total: number; counts: Record<string, Record<string, number>>; sample: DrawnSpan[]; columns: DrawnColumn[] };
  arrows: DrawnArrow[];
  cpu: { cores: number; points: number; threadSamples: number; coreSightings: number };
  /** CPU stretches labelled in words, as drawn (page x). */
  phases: DrawnPhase[];
  stdout: number;
  view: { t0: number; t1: number; v0: number; v1: number; width: number };
  /** The selected finding as drawn (page coordinates), if one is selected. */
  finding: DrawnFinding | null;
}

export interface TestHook {
  ready: Promise<void>;
  isReady: () => boolean;
  readonly state: TimelineApp['state'];
  layout(limit?: number): LayoutInfo;
  zoomTo(t0: number, t1: number): void;
  fit(): void;
  select(row: number): void;
  selectedRow(): number;
  palette(): TimelineApp['palette'];
  frameMs(): number[];
  phases(): TimelineApp['lastPhases'];
  messageMs(): number[];
  /** Spans placed on each lane (by lane key), lanes with spans only. */
  laneSpanCounts(): [string, number][];
  /** performance.now() when the trace arrived and when its first frame was drawn. */
  timing(): TimelineApp['timing'];
  /** Point events as drawn in this frame (page x), with the words beside them. */
  drawnPoints(limit?: number): DrawnPoint[];
  /** Runs of tiny spans drawn as one (page x), with how many spans each holds. */
  drawnRuns(limit?: number): DrawnRun[];
  /** Draws a frame now and returns how long it took (ms). */
  renderNow(): number;
  eventCount(): number;
  /** Ids of the findings the app holds, and the one selected. */
  findingIds(): string[];
  selectFinding(id: string): void;
  selectedFinding(): string | null;
}

declare global {
  interface Window {
    __concurrencyTrace?: TestHook;
  }
}

export function installTestHook(app: TimelineApp): void {
  const hook: TestHook = {
    ready: app.whenReady(),
    isReady: () => app.loaded && app.flowsReady,
    get state() {
      return app.state;
    },
    layout(limit = 5000) {
      const collect: DrawnItems & { phases: DrawnPhase[] } = { spans: [], arrows: [], limit, phases: [], columns: [] };
      const f = app.render(collect);
      const c = app.dom.lanesCanvas.getBoundingClientRect();
      const top = c.top - f.scrollTop;
      const counts: Record<string, Record<string, number>> = {};
      let total = 0;
      const lanes: LaneInfo[] = [];
      for (const r of app.layout.rows) {
        const th = app.store.threads[r.thread];
        const p = app.store.processes[r.process];
        if (r.spans) {
          const byKind: Record<string, number> = {};
          for (const [kind, n] of r.spans.kinds) byKind[eventName(kind)] = n;
          if (r.task) for (let i = 0; i < r.task.points.n; i++) {
            const name = eventName(app.store.kind[r.task.points.rows[i]]);
            byKind[name] = (byKind[name] ?? 0) + 1;
          }
          counts[r.key] = byKind;
          total += r.spans.count;
        }
        const base = { key: r.key, pid: p?.pid ?? 0, y: top + r.y, height: r.height, dim: r.dim, collapsed: r.collapsed };
        // A process drawn on its only thread's row is listed both as the process and as the thread.
        if (r.processRow && th) {
          lanes.push({ ...base, kind: 'process', label: r.label, detail: r.detail, process: true });
          lanes.push({ ...base, kind: 'thread', label: app.data.naming.words.thread(th).label, detail: `tid ${th.nativeId}`, tid: th.nativeId, process: false });
        } else {
          lanes.push({
            ...base, kind: r.kind, label: r.label, detail: r.detail, tid: r.kind === 'process' || r.thread < 0 ? undefined : th?.nativeId,
            process: r.kind === 'process',
          });
        }
      }
      const shift = <T extends { x0: number; x1: number }>(o: T, dy: (o: T) => T): T => dy({ ...o, x0: o.x0 + c.left, x1: o.x1 + c.left });
      return {
        lanes,
        spans: {
          total, counts, sample: collect.spans.map((s) => shift(s, (o) => ({ ...o, y: o.y + c.top }))),
          columns: (collect.columns ?? []).map((col) => ({ ...col, x: col.x + c.left, y: col.y + c.top })),
        },
        arrows: collect.arrows.map((a) => shift(a, (o) => ({ ...o, y0: o.y0 + c.top, y1: o.y1 + c.top }))),
        cpu: {
          cores: app.data.coreSamples.length,
          points: app.data.coreSamples.reduce((n, l) => n + l.n, 0),
          threadSamples: app.data.threadSampleCount,
          coreSightings: app.data.coreSightings.reduce((n, r) => n + r.n, 0),
        },
        phases: collect.phases.map((p) => ({ ...p, x0: p.x0 + c.left, x1: p.x1 + c.left })),
        stdout: app.data.stdout.n,
        view: { t0: app.view.t0, t1: app.view.t1, v0: app.view.v0, v1: app.view.v1, width: app.view.width },
        finding: collect.finding ? {
          ...collect.finding,
          band: collect.finding.band && { x0: collect.finding.band.x0 + c.left, x1: collect.finding.band.x1 + c.left },
          marks: collect.finding.marks.map((m) => ({ ...m, x0: m.x0 + c.left, x1: m.x1 + c.left, y: m.y + c.top })),
          edges: collect.finding.edges.map((e) => ({ ...e, x0: e.x0 + c.left, x1: e.x1 + c.left, y0: e.y0 + c.top, y1: e.y1 + c.top })),
        } : null,
      };
    },
    zoomTo: (t0, t1) => app.zoom.zoomTo(t0, t1),
    fit: () => app.zoom.fit(),
    select: (row) => app.selectRow(row),
    selectedRow: () => app.selectedRow,
    palette: () => app.palette,
    frameMs: () => app.frameMs.slice(),
    phases: () => ({ ...app.lastPhases }),
    messageMs: () => app.messageMs.slice(),
    timing: () => ({ ...app.timing }),
    laneSpanCounts: () => app.layout.rows.filter((r) => r.spans && r.spans.count > 0).map((r) => [r.key, r.spans!.count] as [string, number]),
    drawnPoints(limit = 20000) {
      const collect: DrawnItems = { spans: [], arrows: [], limit, points: [] };
      app.render(collect);
      const left = app.dom.lanesCanvas.getBoundingClientRect().left;
      return (collect.points ?? []).map((p) => ({ ...p, x: p.x + left }));
    },
    drawnRuns(limit = 20000) {
      const collect: DrawnItems = { spans: [], arrows: [], limit, runs: [] };
      app.render(collect);
      const left = app.dom.lanesCanvas.getBoundingClientRect().left;
      return (collect.runs ?? []).map((r) => ({ ...r, x0: r.x0 + left, x1: r.x1 + left }));
    },
    renderNow: () => {
      const t = performance.now();
      app.render();
      return performance.now() - t;
    },
    eventCount: () => app.store.length,
    findingIds: () => app.findingSel.list.map((f) => f.id),
    selectFinding: (id) => app.findingSel.select(id),
    selectedFinding: () => app.findingSel.selected?.finding.id ?? null,
  };
  window.__concurrencyTrace = hook;
}
