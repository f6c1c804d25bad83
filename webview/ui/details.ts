/**
 * The details pane for a selected event: kind, times, duration, thread and
 * process, object, what a/b mean for this kind, the call site with "Go to
 * source", and the partner events its flows lead to. Text only (no HTML).
 */
import type { Flow } from '../../src/core/analysis/flows';
import { K } from '../../src/core/trace/recordKinds';
import type { TraceStore } from '../../src/core/trace/traceStore';
import type { Naming } from '../../src/core/naming/index';
import { eventLabel, eventName, formatDuration, objectLabel } from '../data/spanKinds';

export interface DetailsActions {
  /** Null in the HTML report (no editor to open). */
  openSource: ((file: string, line: number) => void) | null;
  select: (row: number) => void;
  close: () => void;
}

function extra(store: TraceStore, r: number): [string, string][] {
  const a = store.a[r];
  const b = store.b[r];
  const str = (i: number): string => store.strings[i] ?? '';
  switch (store.kind[r]) {
    case K.LOCK_WAIT: return [['Outcome', a === 1 ? 'acquired' : 'timed out / failed']];
    case K.COND_WAIT: return [['Outcome', a === 1 ? 'notified' : 'timed out']];
    case K.EVENT_WAIT: return [['Result', a === 1 ? 'True (set)' : 'False (timed out)']];
    case K.BARRIER_WAIT: return [['Index', a === -1 ? 'broken' : String(a)]];
    case K.THREAD_JOIN: return [['Thread had ended', a === 1 ? 'yes' : 'no (timed out)']];
    case K.PROCESS_JOIN: return [['Child exit code', b === 1 ? String(a) : 'still running']];
    case K.QUEUE_PUT: case K.QUEUE_GET: return (b & 1) ? [['Outcome', 'failed (Full / Empty / closed)']] : [];
    case K.PIPE_RECV: return b === 1 ? [['Outcome', 'failed (EOF / error)']] : [];
    case K.SLEEP: return [['Requested', a >= 0 ? formatDuration(a) : '—']];
    case K.TASK_RUN: return [['Function', str(a)], ['Arguments', str(b)]];
    case K.TASK_SUBMIT: return [['Function', str(b)], ['Pool', objectLabel(store, a)]];
    case K.TASK_RESULT: return [['Outcome', a === 1 ? 'returned' : a === 2 ? 'cancelled' : 'raised']];
    case K.ASYNC_END: return [['Outcome', a === 1 ? 'done' : a === 2 ? 'cancelled' : 'raised'], ...(b ? [['Exception', str(b)] as [string, string]] : [])];
    case K.IO_WRITE: return [['Stream', (b & 3) === 2 ? 'stderr' : 'stdout']];
    case K.PROCESS_EXIT: return [['Exit code', store.b[r] === 1 ? String(a) : 'unknown']];
    case K.THREAD_EXCEPTION: return [['Exception', str(a)]];
    default: return [];
  }
}

export class DetailsPane {
  constructor(private readonly el: HTMLElement, private readonly actions: DetailsActions) {}

  hide(): void {
    this.el.hidden = true;
    this.el.replaceChildren();
  }

  show(store: TraceStore, naming: Naming, r: number, t0: number, openEnd: number, flows: readonly Flow[], taskName?: (row: number) => string | undefined): void {
    const el = this.begin(eventLabel(store, r, taskName) || eventName(store.kind[r]));

    const dl = document.createElement('dl');
    const item = (k: string, v: string): void => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      dl.append(dt, dd);
    };
    const kind = store.kind[r];
    const ts = store.ts[r];
    const end = store.end[r];
    const open = Number.isNaN(end);
    item('Kind', eventName(kind));
    item('Start', formatDuration(ts - t0));
    if (end !== ts) {
      item('End', open ? 'still open' : formatDuration(end - t0));
      item('Duration', open ? `≥ ${formatDuration(openEnd - ts)}` : formatDuration(end - ts));
    }
    const th = store.threads[store.thread[r]];
    if (th) {
      const p = store.processes[th.process];
      const tw = naming.words.thread(th);
      item('Thread', `${tw.label}${tw.label !== th.name ? ` — ${th.name}` : ''} (tid ${th.nativeId || th.ident})`);
      if (p) {
        const pw = naming.words.process(p);
        item('Process', `${pw.label}${pw.name ? ` — ${pw.name}` : ''} (pid ${p.pid}, ${pw.ended})`);
      }
    }
    const o = store.objects.get(store.obj[r]);
    if (o) {
      // Made by a library's code (dask's locks and queues, its asyncio tasks): the library's, not the program's.
      const lib = naming.objectLibrary(o.id);
      item('Object', `${naming.objects.name(o.id)} — ${o.type}${lib ? ` · ${lib}'s (made by library code)` : ''}`);
    }
    for (const [k, v] of extra(store, r)) item(k, v);
    el.appendChild(dl);

    if (kind === K.IO_WRITE) {
      const pre = document.createElement('pre');
      pre.className = 'details-text';
      pre.textContent = store.strings[store.a[r]] ?? '';
      el.appendChild(pre);
    }

    const site = store.sites[store.site[r]];
    if (site && store.site[r] >= 0) {
      const box = document.createElement('div');
      box.className = 'details-site';
      const where = document.createElement('div');
      where.className = 'site-text';
      where.textContent = `${site.file}:${site.line}${site.func ? ` in ${site.func}` : ''}`;
      where.title = where.textContent;
      box.appendChild(where);
      if (this.actions.openSource) {
        const go = document.createElement('vscode-button');
        go.id = 'go-to-source';
        const i = document.createElement('span');
        i.className = 'codicon codicon-go-to-file';
        i.setAttribute('slot', 'content-before');
        go.append(i, document.createTextNode('Go to source'));
        const open = this.actions.openSource;
        go.addEventListener('click', () => open(site.file, site.line));
        box.appendChild(go);
      }
      el.appendChild(box);
    }

    const related = flows.filter((f) => f.from === r || f.to === r);
    if (related.length > 0) {
      const hh = document.createElement('h3');
      hh.textContent = 'Hand-offs';
      el.appendChild(hh);
      const ul = document.createElement('ul');
      ul.className = 'partners';
      for (const f of related) {
        const other = f.from === r ? f.to : f.from;
        const li = document.createElement('li');
        const dir = f.from === r ? '→' : '←';
        const otherThread = store.threads[f.from === r ? f.toThread : f.fromThread];
        const text = `${dir} ${f.kind}: ${other >= 0 ? eventName(store.kind[other]) : 'end of thread'} on ${otherThread?.name ?? '?'} at ${formatDuration((f.from === r ? f.toTs : f.fromTs) - t0)}`;
        if (other >= 0) {
          const a = document.createElement('a');
          a.href = '#';
          a.className = 'partner';
          a.textContent = text;
          a.addEventListener('click', (e) => {
            e.preventDefault();
            this.actions.select(other);
          });
          li.appendChild(a);
        } else li.textContent = text;
        ul.appendChild(li);
      }
      el.appendChild(ul);
    }
  }

  /** Empties the pane and gives it a title and a close button. */
  begin(title: string): HTMLElement {
    const el = this.el;
    el.replaceChildren();
    el.hidden = false;
    const head = document.createElement('div');
    head.className = 'details-head';
    const h = document.createElement('h2');
    h.textContent = title;
    h.title = title;
    const close = document.createElement('vscode-button');
    close.setAttribute('secondary', '');
    close.setAttribute('aria-label', 'Close details');
    close.title = 'Close (Esc)';
    close.className = 'close';
    const x = document.createElement('span');
    x.className = 'codicon codicon-close';
    close.appendChild(x);
    close.addEventListener('click', () => this.actions.close());
    head.append(h, close);
    el.appendChild(head);
    return el;
  }

  /** Details of a lane (thread or process) when its label is clicked. */
  showText(title: string, rows: [string, string][]): void {
    const el = this.begin(title);
    const dl = document.createElement('dl');
    for (const [k, v] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      dl.append(dt, dd);
    }
    el.appendChild(dl);
  }
}
