/**
 * The label column beside the lanes: one element per row (name, pid/tid,
 * exit code), a twisty to collapse a process, a colour chip matching the
 * thread's colour in the cores view. Rebuilt only when the layout changes.
 */
import type { Layout, LaneRow } from '../data/laneLayout';

export interface LaneLabelActions {
  toggle: (row: LaneRow) => void;
  inspect: (row: LaneRow) => void;
  threadColor: (thread: number) => string;
}

export function renderLaneLabels(container: HTMLElement, layout: Layout, actions: LaneLabelActions): void {
  container.replaceChildren();
  container.style.height = `${layout.height}px`;
  const frag = document.createDocumentFragment();
  for (const row of layout.rows) {
    const item = document.createElement('div');
    item.className = `lane-label ${row.kind}${row.library ? ' library' : ''}${row.processRow ? ' process-row' : ''}${row.dim ? ' dim' : ''}${row.failed ? ' failed' : ''}`;
    item.setAttribute('role', 'listitem');
    item.style.top = `${row.y}px`;
    item.style.height = `${row.height}px`;
    item.style.paddingLeft = `${4 + row.indent * 12}px`;
    item.dataset.key = row.key;
    const what = row.kind === 'process' || row.processRow ? 'Process' : row.kind === 'thread' ? 'Thread'
      : row.kind === 'helpers' ? (row.library ? 'Library group' : 'Group') : row.kind === 'program' ? 'Program' : 'Asyncio task';
    item.setAttribute('aria-label', `${what} ${row.label}, ${row.detail}`);
    item.title = `${row.label} — ${row.detail}`;
    if (row.collapsible) {
      const tw = document.createElement('button');
      tw.className = `twisty codicon codicon-chevron-${row.collapsed ? 'right' : 'down'}`;
      tw.setAttribute('aria-expanded', String(!row.collapsed));
      tw.setAttribute('aria-label', `${row.collapsed ? 'Expand' : 'Collapse'} ${row.label}`);
      tw.addEventListener('click', (e) => {
        e.stopPropagation();
        actions.toggle(row);
      });
      item.appendChild(tw);
    } else if (row.kind === 'process' || row.processRow || row.kind === 'helpers' || row.kind === 'program') {
      const gap = document.createElement('span');
      gap.className = row.kind === 'program' ? 'codicon codicon-terminal task-icon' : 'twisty-gap';
      item.appendChild(gap);
    }
    if (row.kind === 'thread') {
      const chip = document.createElement('span');
      chip.className = 'chip';
      chip.style.background = actions.threadColor(row.thread);
      item.appendChild(chip);
    } else if (row.kind === 'task') {
      const i = document.createElement('span');
      i.className = 'codicon codicon-symbol-event task-icon';
      item.appendChild(i);
    }
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = row.label;
    const detail = document.createElement('span');
    detail.className = 'detail';
    detail.textContent = row.detail;
    item.append(name, detail);
    // A helper group unfolds on a click anywhere on its label.
    item.addEventListener('click', () => (row.kind === 'helpers' ? actions.toggle(row) : actions.inspect(row)));
    frag.appendChild(item);
  }
  container.appendChild(frag);
}
