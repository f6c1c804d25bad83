/**
 * The page's elements, built once: a one-line toolbar (title, status,
 * filter, a "Show" menu holding the category and arrow toggles, Fit, Export,
 * Stop), axis, lanes (labels + canvas), bottom panel, details pane. The lanes
 * get the height. Text from the trace is only ever set with textContent.
 */
import { CATEGORIES, type Category } from '../data/spanKinds';
import type { FlowKind } from '../../src/core/analysis/flows';

/** Width of the label column; the same as .label-col in timeline.css. */
export const LABEL_W = 260;

export const FLOW_KINDS: { id: FlowKind; label: string }[] = [
  { id: 'spawn', label: 'spawn' }, { id: 'join', label: 'join' }, { id: 'queue', label: 'queue' },
  { id: 'pipe', label: 'pipe' }, { id: 'task', label: 'task' },
];

export interface Dom {
  root: HTMLElement;
  title: HTMLElement;
  status: HTMLElement;
  counts: HTMLElement;
  search: HTMLElement & { value: string };
  helpers: HTMLElement & { checked: boolean };
  fit: HTMLElement;
  stop: HTMLElement;
  exportButton: HTMLElement;
  /** The "Show" button and the menu it opens (categories, arrows, helpers, how to move around). */
  menuButton: HTMLElement;
  menu: HTMLElement;
  categoryBoxes: Map<Category, HTMLElement & { checked: boolean }>;
  swatches: Map<string, HTMLElement>;
  flowBoxes: Map<FlowKind, HTMLElement & { checked: boolean }>;
  timeline: HTMLElement;
  readout: HTMLElement;
  axis: SVGSVGElement;
  lanesScroll: HTMLElement;
  lanesCanvas: HTMLCanvasElement;
  laneLabels: HTMLElement;
  bottomLabels: HTMLElement;
  bottomCanvas: HTMLCanvasElement;
  cursor: HTMLElement;
  brush: HTMLElement;
  details: HTMLElement;
  empty: HTMLElement;
  /** Timeline and details side by side (the Findings pane goes just above it). */
  main: HTMLElement;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, parent?: HTMLElement): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  parent?.appendChild(e);
  return e;
}

function any(tag: string, cls: string, parent: HTMLElement): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  parent.appendChild(e);
  return e;
}

function icon(name: string): HTMLElement {
  const i = el('span', `codicon codicon-${name}`);
  i.setAttribute('aria-hidden', 'true');
  return i;
}

function button(parent: HTMLElement, id: string, iconName: string, text: string, secondary: boolean, title: string): HTMLElement {
  const b = any('vscode-button', 'no-pan', parent);
  b.id = id;
  if (secondary) b.setAttribute('secondary', '');
  b.title = title;
  const i = icon(iconName);
  i.setAttribute('slot', 'content-before');
  b.append(i, document.createTextNode(text));
  return b;
}

function toggle(parent: HTMLElement, label: string, title: string, swatch?: HTMLElement): HTMLElement & { checked: boolean } {
  const c = any('vscode-checkbox', 'no-pan', parent) as HTMLElement & { checked: boolean };
  c.setAttribute('checked', '');
  c.title = title;
  if (swatch) c.appendChild(swatch);
  c.appendChild(document.createTextNode(label));
  return c;
}

export function buildDom(root: HTMLElement): Dom {
  root.replaceChildren();
  const toolbar = el('header', 'toolbar', root);
  toolbar.setAttribute('role', 'toolbar');
  toolbar.setAttribute('aria-label', 'Timeline');
  const titleBox = el('div', 'title-box', toolbar);
  const title = el('span', 'title', titleBox);
  const status = any('vscode-badge', 'status', titleBox);
  const counts = el('span', 'counts', titleBox);
  const search = any('vscode-textfield', 'search no-pan', toolbar) as HTMLElement & { value: string };
  search.setAttribute('placeholder', 'Filter: process, thread, object or kind');
  search.setAttribute('aria-label', 'Filter lanes by process, thread, object or event kind');
  const searchIcon = icon('filter');
  searchIcon.setAttribute('slot', 'content-before');
  search.appendChild(searchIcon);
  const menuButton = button(toolbar, 'show-menu', 'filter', 'Show', true, 'Event kinds and arrows to show, helper threads');
  menuButton.setAttribute('aria-haspopup', 'true');
  menuButton.setAttribute('aria-expanded', 'false');
  const spacer = el('span', 'spacer', toolbar);
  spacer.setAttribute('aria-hidden', 'true');
  const fit = button(toolbar, 'fit', 'screen-full', 'Fit', true, 'Show what the program did, from its first event to its last (0); zoom out for its start-up');
  const exportButton = button(toolbar, 'export-perfetto', 'export', 'Export', true, 'Export: save as Chrome Trace JSON for ui.perfetto.dev');
  const stop = button(toolbar, 'stop', 'debug-stop', 'Stop', false, 'Stop the traced program');
  stop.hidden = true;

  // The menu: what the legend was, out of the lanes' way until asked for.
  const menu = el('div', 'menu legend', root);
  menu.hidden = true;
  menu.setAttribute('role', 'dialog');
  menu.setAttribute('aria-label', 'Show: event kinds, arrows and helper threads');
  const swatches = new Map<string, HTMLElement>();
  const categoryBoxes = new Map<Category, HTMLElement & { checked: boolean }>();
  const kindsHead = el('div', 'legend-heading', menu);
  kindsHead.textContent = 'Events';
  const kinds = el('div', 'menu-grid', menu);
  for (const c of CATEGORIES) {
    const sw = el('span', 'swatch');
    swatches.set(`cat:${c.id}`, sw);
    categoryBoxes.set(c.id, toggle(kinds, c.label, c.title, sw));
  }
  const arrows = el('div', 'legend-heading', menu);
  arrows.textContent = 'Arrows';
  const arrowBox = el('div', 'menu-grid', menu);
  const flowBoxes = new Map<FlowKind, HTMLElement & { checked: boolean }>();
  for (const f of FLOW_KINDS) {
    const sw = el('span', 'swatch line');
    swatches.set(`flow:${f.id}`, sw);
    flowBoxes.set(f.id, toggle(arrowBox, f.label, `Show ${f.label} arrows`, sw));
  }
  const lanesHead = el('div', 'legend-heading', menu);
  lanesHead.textContent = 'Lanes';
  const helpers = toggle(menu, 'unfold every helper group', 'Helper threads and processes (queue feeders, pool handlers, a Manager\'s server threads, forkserver) are folded under their process; show them all');
  helpers.removeAttribute('checked');
  const hint = el('div', 'hint', menu);
  hint.textContent = 'Ctrl+wheel or W/S zoom · drag, Shift+wheel or A/D pan · Shift+drag zoom to range · 0 fit · click for details';

  const main = el('div', 'main', root);
  const timeline = el('div', 'timeline', main);
  timeline.tabIndex = 0;
  timeline.setAttribute('aria-label', 'Timeline of processes and threads');
  const axisRow = el('div', 'axis-row', timeline);
  const readout = el('div', 'label-col readout no-pan', axisRow);
  readout.setAttribute('aria-live', 'off');
  const axis = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  axis.setAttribute('class', 'axis');
  axisRow.appendChild(axis);
  const lanesScroll = el('div', 'lanes-scroll', timeline);
  const sticky = el('div', 'lanes-sticky', lanesScroll);
  const lanesCanvas = el('canvas', 'lanes-canvas', sticky);
  lanesCanvas.setAttribute('aria-hidden', 'true');
  const laneLabels = el('div', 'lane-labels label-col no-pan', lanesScroll);
  laneLabels.setAttribute('role', 'list');
  laneLabels.setAttribute('aria-label', 'Processes, threads and asyncio tasks');
  const bottomRow = el('div', 'bottom-row', timeline);
  const bottomLabels = el('div', 'bottom-labels label-col no-pan', bottomRow);
  const bottomCanvas = el('canvas', 'bottom-canvas', bottomRow);
  bottomCanvas.setAttribute('aria-hidden', 'true');
  const cursor = el('div', 'cursor-line', timeline);
  cursor.hidden = true;
  const brush = el('div', 'brush', timeline);
  brush.hidden = true;
  const empty = el('div', 'empty', timeline);
  empty.textContent = 'Waiting for the trace…';
  const details = el('aside', 'details', main);
  details.setAttribute('aria-label', 'Event details');
  details.hidden = true;
  return {
    root, title, status, counts, search, helpers, fit, stop, exportButton, menuButton, menu, categoryBoxes, swatches, flowBoxes, timeline, readout, axis,
    lanesScroll, lanesCanvas, laneLabels, bottomLabels, bottomCanvas, cursor, brush, details, empty, main,
  };
}
