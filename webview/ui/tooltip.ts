/** A hover tooltip: plain text lines (never HTML), kept inside the window. */
export class Tooltip {
  readonly el: HTMLDivElement;

  constructor(parent: HTMLElement) {
    this.el = document.createElement('div');
    this.el.className = 'tooltip';
    this.el.setAttribute('role', 'tooltip');
    this.el.hidden = true;
    parent.appendChild(this.el);
  }

  /** First line is the title; a line may be [label, value]. */
  show(clientX: number, clientY: number, title: string, lines: (string | [string, string])[], body?: string): void {
    const el = this.el;
    el.replaceChildren();
    const h = document.createElement('div');
    h.className = 'tooltip-title';
    h.textContent = title;
    el.appendChild(h);
    for (const line of lines) {
      const d = document.createElement('div');
      if (Array.isArray(line)) {
        const k = document.createElement('span');
        k.className = 'tooltip-key';
        k.textContent = `${line[0]} `;
        d.append(k, line[1]);
      } else d.textContent = line;
      el.appendChild(d);
    }
    if (body !== undefined) {
      const pre = document.createElement('pre');
      pre.className = 'tooltip-body';
      pre.textContent = body.length > 2000 ? `${body.slice(0, 2000)}…` : body;
      el.appendChild(pre);
    }
    el.hidden = false;
    const pad = 12;
    const w = el.offsetWidth;
    const hgt = el.offsetHeight;
    let x = clientX + pad;
    let y = clientY + pad;
    if (x + w > window.innerWidth - 4) x = Math.max(4, clientX - w - pad);
    if (y + hgt > window.innerHeight - 4) y = Math.max(4, clientY - hgt - pad);
    el.style.left = `${x}px`;
    el.style.top = `${y}px`;
  }

  hide(): void {
    this.el.hidden = true;
  }
}
