/**
 * The Findings pane: one line under the toolbar (count, a chip per kind that
 * filters the list, the most severe finding's message, and "Stop and keep
 * trace" while a running program is deadlocked), which unfolds into a short
 * scrolling list. It stays a single line until asked, so the lanes keep
 * their height in a half-width editor. Trace text is only set as text.
 */
import type { Finding, FindingKind } from '../../src/core/analysis/finding';
import { isOngoingDeadlock, kindWords } from '../../src/core/live/findingState';
import { countByKind, SEVERITY_ICON, sortFindings } from '../data/findingView';

export interface FindingsPaneActions {
  select(id: string): void;
  /** Stop the running program (null where there is nothing to stop: the HTML report). */
  stop: (() => void) | null;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, parent?: HTMLElement): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  parent?.appendChild(e);
  return e;
}

function icon(name: string, cls = ''): HTMLElement {
  const i = el('span', `codicon codicon-${name} ${cls}`.trim());
  i.setAttribute('aria-hidden', 'true');
  return i;
}

export class FindingsPane {
  readonly el: HTMLElement;
  readonly hiddenKinds = new Set<FindingKind>();
  private readonly toggle: HTMLButtonElement;
  private readonly chevron: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly kinds: HTMLElement;
  private readonly preview: HTMLButtonElement;
  private readonly none: HTMLElement;
  private readonly stopButton: HTMLElement;
  private readonly list: HTMLUListElement;
  private findings: Finding[] = [];
  private running = false;
  private expanded = false;
  private selected: string | undefined;
  private shown = '';

  constructor(parent: HTMLElement, before: HTMLElement, private readonly actions: FindingsPaneActions) {
    this.el = el('section', 'findings');
    this.el.setAttribute('aria-label', 'Findings');
    parent.insertBefore(this.el, before);
    const bar = el('div', 'findings-bar', this.el);
    this.toggle = el('button', 'findings-toggle no-pan', bar);
    this.toggle.type = 'button';
    this.toggle.setAttribute('aria-expanded', 'false');
    this.toggle.title = 'Show or hide the list of findings';
    this.chevron = icon('chevron-right');
    const label = el('span', 'findings-label');
    label.textContent = 'Findings';
    this.badge = el('span', 'findings-count');
    this.toggle.append(this.chevron, label, this.badge);
    this.toggle.addEventListener('click', () => this.setExpanded(!this.expanded));
    this.kinds = el('div', 'findings-kinds', bar);
    this.kinds.setAttribute('role', 'group');
    this.kinds.setAttribute('aria-label', 'Show findings of these kinds');
    this.preview = el('button', 'findings-preview no-pan', bar);
    this.preview.type = 'button';
    this.preview.addEventListener('click', () => {
      const first = this.visible()[0];
      if (first) this.actions.select(first.id);
    });
    this.none = el('span', 'findings-none', bar);
    this.stopButton = el('vscode-button' as 'div', 'findings-stop no-pan', bar);
    this.stopButton.id = 'stop-keep';
    this.stopButton.title = 'Stop the program now; the trace (and this finding) is saved';
    this.stopButton.append(icon('debug-stop'), document.createTextNode('Stop and keep trace'));
    this.stopButton.querySelector('.codicon')!.setAttribute('slot', 'content-before');
    this.stopButton.addEventListener('click', () => this.actions.stop?.());
    this.stopButton.hidden = true;
    this.list = el('ul', 'findings-list no-pan', this.el);
    this.list.setAttribute('role', 'listbox');
    this.list.setAttribute('aria-label', 'Findings');
    this.list.hidden = true;
    this.list.addEventListener('keydown', (e) => this.onListKey(e));
  }

  /** New findings or run status; redraws only when something shown changed. */
  update(findings: readonly Finding[], running: boolean): void {
    const sorted = sortFindings(findings);
    const key = `${running}|${sorted.map((f) => `${f.id}\u0000${f.severity}\u0000${f.message}`).join('\u0001')}`;
    this.findings = sorted;
    this.running = running;
    if (key === this.shown) return;
    this.shown = key;
    this.render();
  }

  setSelected(id: string | undefined): void {
    this.selected = id;
    for (const li of Array.from(this.list.children)) {
      const on = (li as HTMLElement).dataset.id === id;
      li.classList.toggle('selected', on);
      li.setAttribute('aria-selected', String(on));
    }
  }

  setExpanded(expanded: boolean): void {
    this.expanded = expanded;
    this.render();
  }

  get isExpanded(): boolean {
    return this.expanded;
  }

  /** Findings that pass the kind filter, in order. */
  visible(): Finding[] {
    return this.findings.filter((f) => !this.hiddenKinds.has(f.kind));
  }

  private render(): void {
    const all = this.findings;
    const shown = this.visible();
    this.el.dataset.state = all.length ? all[0].severity : 'none';
    this.badge.textContent = String(all.length);
    this.badge.hidden = all.length === 0;
    this.toggle.disabled = all.length === 0;
    this.toggle.setAttribute('aria-expanded', String(this.expanded && all.length > 0));
    this.chevron.className = `codicon codicon-chevron-${this.expanded && all.length ? 'down' : 'right'}`;

    this.kinds.replaceChildren();
    for (const c of countByKind(all)) {
      const chip = el('button', `kind-chip no-pan severity-${c.severity}`, this.kinds);
      chip.type = 'button';
      chip.dataset.kind = c.kind;
      const on = !this.hiddenKinds.has(c.kind);
      chip.setAttribute('aria-pressed', String(on));
      chip.title = `${on ? 'Hide' : 'Show'} ${kindWords(c.kind)} findings`;
      const n = el('span', 'n');
      n.textContent = String(c.count);
      chip.append(icon(SEVERITY_ICON[c.severity], `sev-${c.severity}`), document.createTextNode(kindWords(c.kind)), n);
      chip.addEventListener('click', () => {
        if (this.hiddenKinds.has(c.kind)) this.hiddenKinds.delete(c.kind);
        else this.hiddenKinds.add(c.kind);
        this.render();
      });
    }

    const top = shown[0];
    this.preview.hidden = !top || this.expanded;
    this.preview.replaceChildren();
    if (top) {
      this.preview.append(icon(SEVERITY_ICON[top.severity], `sev-${top.severity}`), document.createTextNode(top.message));
      this.preview.title = `${top.message}\n(click to show it on the timeline)`;
    }
    this.none.hidden = all.length > 0;
    this.none.textContent = this.running ? 'none so far' : 'none';
    this.none.title = this.running ? 'Nothing found yet: the analysis runs again as events arrive' : 'The analysis found nothing to report in this trace';
    this.stopButton.hidden = !(this.running && this.actions.stop && all.some(isOngoingDeadlock));

    this.list.hidden = !this.expanded || all.length === 0;
    this.list.replaceChildren();
    for (const f of shown) {
      const li = el('li', `finding severity-${f.severity}`, this.list);
      li.dataset.id = f.id;
      li.dataset.kind = f.kind;
      li.tabIndex = 0;
      li.setAttribute('role', 'option');
      const on = f.id === this.selected;
      li.setAttribute('aria-selected', String(on));
      li.classList.toggle('selected', on);
      const msg = el('span', 'finding-msg');
      msg.textContent = f.message;
      const kind = el('span', 'finding-kind');
      kind.textContent = kindWords(f.kind);
      li.append(icon(SEVERITY_ICON[f.severity], `sev-${f.severity}`), msg, kind);
      li.title = f.message;
      li.addEventListener('click', () => this.actions.select(f.id));
    }
    if (this.expanded && shown.length === 0 && all.length > 0) {
      const li = el('li', 'finding empty', this.list);
      li.textContent = 'All kinds are filtered out.';
    }
  }

  private onListKey(e: KeyboardEvent): void {
    const items = Array.from(this.list.querySelectorAll<HTMLElement>('li.finding[data-id]'));
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      e.stopPropagation();
      const next = items[Math.max(0, Math.min(items.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))];
      next?.focus();
    } else if ((e.key === 'Enter' || e.key === ' ') && i >= 0) {
      e.preventDefault();
      e.stopPropagation();
      this.actions.select(items[i].dataset.id!);
    }
  }
}
