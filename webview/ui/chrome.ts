/**
 * The toolbar, its "Show" menu and the bottom-panel labels: wiring of the
 * controls to the app, and their text and colours from the app's state.
 */
import type { TimelineApp } from '../app';
import type { Host } from '../host';
import { PROGRAM_H, STDOUT_H } from '../render/bottomRenderer';

export function bindControls(app: TimelineApp, host: Host): void {
  const d = app.dom;
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  d.search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => app.setQuery(d.search.value ?? ''), 120);
  });
  d.helpers.addEventListener('change', () => {
    app.showHelpers = d.helpers.checked;
    app.relayout();
  });
  for (const [cat, box] of d.categoryBoxes) {
    box.addEventListener('change', () => {
      if (box.checked) app.hidden.delete(cat);
      else app.hidden.add(cat);
      renderChrome(app);
      app.request();
    });
  }
  for (const [kind, box] of d.flowBoxes) {
    box.addEventListener('change', () => {
      if (box.checked) app.flowKinds.add(kind);
      else app.flowKinds.delete(kind);
      renderChrome(app);
      app.request();
    });
  }
  const setMenu = (open: boolean): void => {
    d.menu.hidden = !open;
    d.menuButton.setAttribute('aria-expanded', String(open));
    if (open) {
      const r = d.menuButton.getBoundingClientRect();
      d.menu.style.top = `${r.bottom + 2}px`;
      d.menu.style.left = `${Math.max(4, Math.min(r.left, window.innerWidth - d.menu.offsetWidth - 4))}px`;
    }
  };
  d.menuButton.addEventListener('click', (e) => {
    e.stopPropagation();
    setMenu(d.menu.hidden);
  });
  document.addEventListener('click', (e) => {
    if (!d.menu.hidden && !d.menu.contains(e.target as Node)) setMenu(false);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !d.menu.hidden) {
      e.stopPropagation();
      setMenu(false);
      d.menuButton.focus();
    }
  }, true);
  d.fit.addEventListener('click', () => app.zoom.fit());
  d.stop.addEventListener('click', () => host.post({ type: 'stop' }));
  d.exportButton.addEventListener('click', () => host.post({ type: 'exportPerfetto' }));
  d.exportButton.hidden = !host.connected;
}

const STATUS_TEXT: Record<string, string> = {
  running: 'running', exited: 'exited', stopped: 'stopped', failed: 'failed', saved: 'saved trace',
};

export function renderChrome(app: TimelineApp): void {
  const d = app.dom;
  const s = app.state;
  d.title.textContent = s.title || 'Concurrency Trace';
  d.title.title = s.title;
  let status = STATUS_TEXT[s.status] ?? s.status;
  if (s.exitCode !== undefined && s.exitCode !== null && s.status !== 'running') status += ` · exit ${s.exitCode}`;
  d.status.textContent = status;
  d.status.dataset.status = s.status;
  d.status.title = s.message ?? status;
  const st = app.store;
  d.counts.textContent = `${st.processes.length} processes · ${st.threads.length} threads · ${st.length.toLocaleString('en-US')} events`;
  const hiddenKinds = app.hidden.size + (5 - app.flowKinds.size);
  d.menuButton.classList.toggle('filtered', hiddenKinds > 0);
  d.menuButton.title = hiddenKinds > 0 ? `Show: ${hiddenKinds} kind${hiddenKinds === 1 ? '' : 's'} hidden` : 'Event kinds and arrows to show, helper threads';
  d.stop.hidden = s.status !== 'running';
  const p = app.palette;
  for (const [key, sw] of d.swatches) {
    const [kind, id] = key.split(':');
    sw.style.background = kind === 'cat' ? p.category[id as keyof typeof p.category] : p.flow[id as keyof typeof p.flow];
  }
}

export function renderBottomLabels(app: TimelineApp): void {
  const box = app.dom.bottomLabels;
  box.replaceChildren();
  const add = (height: number, title: string, cls: string, lines: (string | [string, string][])[]): HTMLElement => {
    const e = document.createElement('div');
    e.className = `bottom-label ${cls}`;
    e.style.height = `${height}px`;
    e.title = title;
    for (const line of lines) {
      const l = document.createElement('div');
      if (typeof line === 'string') l.textContent = line;
      else {
        // [swatch class, text] pairs: a key to the chart's colours.
        for (const [k, text] of line) {
          const sw = document.createElement('span');
          sw.className = `key ${k}`;
          l.append(sw, document.createTextNode(`${text} `));
        }
      }
      e.appendChild(l);
    }
    box.appendChild(e);
    return e;
  };
  add(STDOUT_H, 'Writes to sys.stdout / sys.stderr: hover a mark to read it', 'stdout', [`stdout / stderr (${app.data.stdout.n})`]);
  const b = app.bottomLayout;
  if (b.cores === 0) return;
  const cpu = app.cpu;
  const scale = cpu ? Math.max(cpu.cores, cpu.want.max, Math.ceil(cpu.program.max)) : b.cores;
  const program = add(PROGRAM_H, 'Cores used by the whole program (its processes’ CPU, 1.0 = one core) and how many of its threads want CPU: not inside a recorded wait or sleep. Threads of one process share one GIL and get about one core together; processes use every core.', 'program',
    ['program CPU', [['used', 'cores used'], ['want', 'wanting CPU']]]);
  const top = document.createElement('span');
  top.className = 'scale';
  top.textContent = `${scale}`;
  program.appendChild(top);
  add(b.seenY - b.coresY, 'Utilization of each core: this program’s share (from its threads’ samples, on the core each was last seen on) and the rest of the machine’s load (other programs, the tracer).', 'cores',
    [`CPU per core (${b.cores})`, [['mine', 'this program'], ['other', 'other']]]);
  add(b.height - b.seenY, 'At each sample, the core /proc last saw each thread on (colour = the chip beside the thread). Only that instant is known: a thread may run on several cores between samples.', 'seen',
    ['threads on cores', 'last core seen, per sample']);
}
