/**
 * Colours and fonts for the canvases, read from VS Code's --vscode-* CSS
 * variables (the HTML report defines defaults for them in timeline.css), and
 * re-read when the theme changes.
 */
import type { FlowKind } from '../src/core/analysis/flows';
import type { Category } from './data/spanKinds';

export interface Palette {
  kind: 'light' | 'dark' | 'high-contrast';
  background: string;
  foreground: string;
  muted: string;
  border: string;
  grid: string;
  headerBackground: string;
  selection: string;
  focus: string;
  /** High contrast: outline every span. */
  outline: string | null;
  font: string;
  monoFont: string;
  category: Record<Category, string>;
  flow: Record<FlowKind, string>;
  error: string;
  /** Findings by severity (outlines, arrows, icons). */
  severity: { error: string; warning: string; info: string };
  /** Distinct hues for cores and threads. */
  series: string[];
}

const VARS: Record<string, string> = {
  background: '--vscode-editor-background',
  foreground: '--vscode-editor-foreground',
  muted: '--vscode-descriptionForeground',
  border: '--vscode-panel-border',
  grid: '--vscode-editorRuler-foreground',
  headerBackground: '--vscode-sideBar-background',
  selection: '--vscode-editor-selectionBackground',
  focus: '--vscode-focusBorder',
  contrast: '--vscode-contrastBorder',
  font: '--vscode-font-family',
  monoFont: '--vscode-editor-font-family',
  red: '--vscode-charts-red',
  orange: '--vscode-charts-orange',
  yellow: '--vscode-charts-yellow',
  green: '--vscode-charts-green',
  blue: '--vscode-charts-blue',
  purple: '--vscode-charts-purple',
  cyan: '--vscode-terminal-ansiCyan',
  magenta: '--vscode-terminal-ansiMagenta',
  brightBlue: '--vscode-terminal-ansiBrightBlue',
  brightGreen: '--vscode-terminal-ansiBrightGreen',
  brightYellow: '--vscode-terminal-ansiBrightYellow',
  grey: '--vscode-disabledForeground',
  error: '--vscode-errorForeground',
  sevError: '--vscode-editorError-foreground',
  sevWarning: '--vscode-editorWarning-foreground',
  sevInfo: '--vscode-editorInfo-foreground',
};

export function themeKind(): Palette['kind'] {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast') || c.contains('vscode-high-contrast-light')) return 'high-contrast';
  if (c.contains('vscode-dark')) return 'dark';
  if (c.contains('vscode-light')) return 'light';
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function readPalette(): Palette {
  const style = getComputedStyle(document.documentElement);
  const v: Record<string, string> = {};
  for (const [key, name] of Object.entries(VARS)) v[key] = style.getPropertyValue(name).trim();
  const kind = themeKind();
  const dark = kind !== 'light' && !document.body.classList.contains('vscode-high-contrast-light');
  const fallback = (x: string, d: string, l: string): string => x || (dark ? d : l);
  const red = fallback(v.red, '#f14c4c', '#e51400');
  const orange = fallback(v.orange, '#d18616', '#d18616');
  const yellow = fallback(v.yellow, '#cca700', '#bf8803');
  const green = fallback(v.green, '#89d185', '#388a34');
  const blue = fallback(v.blue, '#3794ff', '#1a85ff');
  const purple = fallback(v.purple, '#b180d7', '#652d90');
  const cyan = fallback(v.cyan, '#11a8cd', '#0598bc');
  const magenta = fallback(v.magenta, '#bc3fbc', '#bc05bc');
  const grey = fallback(v.grey, '#8c8c8c', '#8e8e8e');
  const foreground = fallback(v.foreground, '#cccccc', '#333333');
  return {
    kind,
    background: fallback(v.background, '#1e1e1e', '#ffffff'),
    foreground,
    muted: fallback(v.muted, '#9d9d9d', '#717171'),
    border: fallback(v.border || v.contrast, '#454545', '#d4d4d4'),
    grid: fallback(v.grid, '#5a5a5a', '#d3d3d3'),
    headerBackground: fallback(v.headerBackground, '#252526', '#f3f3f3'),
    selection: fallback(v.selection, '#264f78', '#add6ff'),
    focus: fallback(v.focus, '#007fd4', '#0090f1'),
    outline: kind === 'high-contrast' ? (v.contrast || foreground) : null,
    font: v.font || 'system-ui, sans-serif',
    monoFont: v.monoFont || 'monospace',
    category: {
      running: green, lockWait: red, lockHold: orange, queue: blue, join: purple, sync: yellow,
      sleep: grey, task: cyan, await: fallback(v.brightYellow, '#f5f543', '#b5ba00'), spawn: magenta, async: fallback(v.brightGreen, '#23d18b', '#14ce14'), shared: fallback(v.brightBlue, '#3b8eea', '#0451a5'),
      lifecycle: foreground,
    },
    flow: { spawn: magenta, join: purple, queue: blue, pipe: cyan, task: orange },
    error: fallback(v.error, '#f48771', '#a1260d'),
    severity: {
      error: fallback(v.sevError, '#f14c4c', '#e51400'),
      warning: fallback(v.sevWarning, '#cca700', '#bf8803'),
      info: fallback(v.sevInfo, '#3794ff', '#1a85ff'),
    },
    series: [blue, orange, green, purple, red, cyan, yellow, magenta, fallback(v.brightYellow, '#f5f543', '#b5ba00'), grey],
  };
}

/** A thread's colour in the cores view and on its label's chip. */
export function threadColor(p: Palette, thread: number): string {
  return p.series[thread % p.series.length];
}

/** Black or white, whichever reads better on a fill colour. */
export function textOn(fill: string): string {
  const rgb = parseColor(fill);
  if (!rgb) return '#000';
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.22 ? '#000' : '#fff';
}

const parsed = new Map<string, [number, number, number] | null>();

export function parseColor(c: string): [number, number, number] | null {
  let out = parsed.get(c);
  if (out !== undefined) return out;
  out = null;
  const hex = /^#([0-9a-f]{3,8})$/i.exec(c.trim());
  if (hex) {
    const h = hex[1];
    if (h.length === 3 || h.length === 4) out = [0, 1, 2].map((i) => parseInt(h[i] + h[i], 16)) as [number, number, number];
    else out = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
  } else {
    const m = /rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)/i.exec(c);
    if (m) out = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  parsed.set(c, out);
  return out;
}

/** `top` at `alpha` over `bottom`, as an opaque colour: opaque fills rasterize faster than blended ones. */
export function blend(bottom: string, top: string, alpha: number): string {
  const b = parseColor(bottom);
  const t = parseColor(top);
  if (!b || !t) return top;
  const c = (i: number): string => Math.round(b[i] * (1 - alpha) + t[i] * alpha).toString(16).padStart(2, '0');
  return `#${c(0)}${c(1)}${c(2)}`;
}

/** The colour with an alpha, as rgba(). */
export function withAlpha(c: string, alpha: number): string {
  const rgb = parseColor(c);
  return rgb ? `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${alpha})` : c;
}

/** Calls back when VS Code (body class, html style) or the OS (report) switches theme. */
export function watchTheme(onChange: () => void): void {
  const obs = new MutationObserver(onChange);
  obs.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  obs.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', onChange);
}
