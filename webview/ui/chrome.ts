/**
 * The toolbar, legend and bottom-panel labels: wiring of the controls to the
 * app, and their text and colours from the app's state.
 */
import type { TimelineApp } from '../app';
import type { Host } from '../host';
import { bottomLayout, CPU_H, STDOUT_H } from '../render/bottomRenderer';

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
      app.request();
    });
  }
  for (const [kind, box] of d.flowBoxes) {
    box.addEventListener('change', () => {
      if (box.checked) app.flowKinds.add(kind);
      else app.flowKinds.delete(kind);
      app.request();
    });
  }
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
  const add = (text: string, height: number, title: string, cls = ''): HTMLElement => {
    const e = document.createElement('div');
    e.className = `bottom-label ${cls}`;
    e.style.height = `${height}px`;
    e.textContent = text;
    e.title = title;
    box.appendChild(e);
    return e;
  };
  add(`stdout / stderr (${app.data.stdout.n})`, STDOUT_H, 'Writes to sys.stdout / sys.stderr: hover a mark to read it', 'stdout');
  const cores = app.data.coreSamples.length;
  if (cores > 0) {
    const cpu = add(`CPU per core (${cores})`, CPU_H, 'Utilization of each core, 0–100 %', 'cpu');
    const scale = document.createElement('span');
    scale.className = 'scale';
    scale.textContent = '100 %';
    cpu.appendChild(scale);
    const b = bottomLayout(cores);
    add('threads on cores', b.height - b.coresY, 'Which thread ran on which core (colour = the chip beside the thread)', 'cores');
  }
}
