/**
 * A selected finding in the details pane: what it is (kind, severity, when,
 * who, which objects), the explanation with the usual fix, the steps of this
 * run, every site with "Go to source", and the events it rests on (click to
 * inspect one). The words are the analysis's own; text only.
 */
import type { Finding } from '../../src/core/analysis/finding';
import type { TraceStore } from '../../src/core/trace/traceStore';
import { kindWords } from '../../src/core/live/findingState';
import { SEVERITY_ICON } from '../data/findingView';
import { eventLabel, formatDuration } from '../data/spanKinds';
import type { DetailsPane } from './details';

export interface FindingDetailsContext {
  store: TraceStore;
  /** Start of the trace (times are shown from it). */
  t0: number;
  /** Rows of the finding present in this trace. */
  rows: number[];
  /** Null in the HTML report. */
  openSource: ((file: string, line: number) => void) | null;
  selectRow: (row: number) => void;
}

/** At most this many events are listed (a race may rest on thousands). */
const MAX_EVENTS = 40;

/** "lastedMs" → "lasted ms". */
function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

function baseName(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i >= 0 ? file.slice(i + 1) : file;
}

export function showFindingDetails(pane: DetailsPane, f: Finding, c: FindingDetailsContext): void {
  const el = pane.begin(f.message);
  el.classList.add('finding-details');
  el.dataset.finding = f.id;
  const h2 = el.querySelector('h2');
  if (h2) {
    const i = document.createElement('span');
    i.className = `codicon codicon-${SEVERITY_ICON[f.severity]} sev-${f.severity}`;
    i.setAttribute('aria-hidden', 'true');
    h2.prepend(i);
  }

  const dl = document.createElement('dl');
  const item = (k: string, v: string): void => {
    if (!v) return;
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  };
  item('Kind', `${kindWords(f.kind)} (${f.severity})`);
  const a = Math.min(f.window.startTs, f.window.endTs);
  const b = Math.max(f.window.startTs, f.window.endTs);
  item('When', b > a ? `${formatDuration(a - c.t0)} – ${formatDuration(b - c.t0)} (${formatDuration(b - a)})` : `at ${formatDuration(a - c.t0)}`);
  item(f.parties.length === 1 ? 'Party' : 'Parties', f.parties.map((p) => p.name).join(', '));
  item(f.objects.length === 1 ? 'Object' : 'Objects', f.objects.map((o) => {
    const created = o.created ? `, created at ${baseName(o.created.file)}:${o.created.line}` : '';
    return `${o.name} (${o.type}${created})`;
  }).join('; '));
  for (const [k, v] of Object.entries(f.details ?? {})) item(words(k), String(v));
  el.appendChild(dl);

  if (f.explanation && f.explanation !== f.message) {
    const p = document.createElement('p');
    p.className = 'finding-explanation';
    p.textContent = f.explanation;
    el.appendChild(p);
  }

  if (f.steps?.length) {
    const h = document.createElement('h3');
    h.textContent = 'In this run';
    const ol = document.createElement('ol');
    ol.className = 'finding-steps';
    for (const s of f.steps) {
      const li = document.createElement('li');
      li.textContent = s;
      ol.appendChild(li);
    }
    el.append(h, ol);
  }

  if (f.sites.length) {
    const h = document.createElement('h3');
    h.textContent = f.sites.length === 1 ? 'Where' : `Where (${f.sites.length} places)`;
    const ul = document.createElement('ul');
    ul.className = 'finding-sites';
    for (const s of f.sites) {
      const li = document.createElement('li');
      const where = document.createElement('div');
      where.className = 'site-text';
      where.textContent = `${baseName(s.file)}:${s.line}`;
      where.title = `${s.file}:${s.line}`;
      li.appendChild(where);
      if (s.role) {
        const role = document.createElement('div');
        role.className = 'site-role';
        role.textContent = s.role;
        li.appendChild(role);
      }
      if (c.openSource) {
        const go = document.createElement('vscode-button');
        go.className = 'finding-go';
        go.setAttribute('secondary', '');
        go.dataset.file = s.file;
        go.dataset.line = String(s.line);
        go.title = `Open ${s.file} at line ${s.line}`;
        const i = document.createElement('span');
        i.className = 'codicon codicon-go-to-file';
        i.setAttribute('slot', 'content-before');
        go.append(i, document.createTextNode('Go to source'));
        const open = c.openSource;
        go.addEventListener('click', () => open(s.file, s.line));
        li.appendChild(go);
      }
      ul.appendChild(li);
    }
    el.append(h, ul);
  }

  if (c.rows.length) {
    const h = document.createElement('h3');
    h.textContent = `Events (${c.rows.length})`;
    const ul = document.createElement('ul');
    ul.className = 'partners finding-events';
    const rows = [...c.rows].sort((x, y) => c.store.ts[x] - c.store.ts[y]).slice(0, MAX_EVENTS);
    for (const r of rows) {
      const li = document.createElement('li');
      const link = document.createElement('a');
      link.href = '#';
      link.className = 'partner';
      const th = c.store.threads[c.store.thread[r]];
      link.textContent = `${eventLabel(c.store, r)} — ${th?.name ?? '?'} at ${formatDuration(c.store.ts[r] - c.t0)}`;
      link.addEventListener('click', (e) => {
        e.preventDefault();
        c.selectRow(r);
      });
      li.appendChild(link);
      ul.appendChild(li);
    }
    if (c.rows.length > MAX_EVENTS) {
      const li = document.createElement('li');
      li.textContent = `… and ${c.rows.length - MAX_EVENTS} more`;
      ul.appendChild(li);
    }
    el.append(h, ul);
  }
}
