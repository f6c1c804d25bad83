/** The time axis (d3-axis on SVG): time since the start of the run, in a unit that fits the zoom. */
import { scaleLinear } from 'd3';
import type { TimeView } from '../timeView';

const UNITS: [number, string][] = [[1e9, 's'], [1e6, 'ms'], [1e3, 'µs'], [1, 'ns']];

/** Formats time offsets for ticks `step` ns apart: same unit and decimals for all ticks. */
export function tickFormatter(step: number): (ns: number) => string {
  const [div, unit] = UNITS.find(([d]) => step >= d) ?? UNITS[3];
  const decimals = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step / div) - 1e-9)));
  return (ns: number) => `${(ns / div).toFixed(decimals)} ${unit}`;
}

/** Cursor readout: more digits than the ticks. */
export function formatOffset(ns: number, nsPerPx: number): string {
  return tickFormatter(Math.max(1, nsPerPx * 10))(ns).replace(/^-0(\.0+)? /, '0 ');
}

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Tick size (inner and outer) and the gap to the words, as d3-axis's axisBottom().tickSize(5) draws them. */
const TICK = 5;
const PADDING = 3;

/**
 * The axis as d3-axis's axisBottom draws it (the same elements and attributes), its tick
 * elements reused in order and only changed attributes written: d3's keyed join creates a tick
 * for every new value (each zoom) and rewrites every attribute of every tick each frame.
 */
export function drawAxis(svg: SVGSVGElement, view: TimeView, width: number, height: number, left: number): void {
  const scale = scaleLinear().domain([view.v0 - view.t0, view.v1 - view.t0]).range([0, width]);
  const ticks = scale.ticks(Math.max(2, Math.floor(width / 110)));
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : view.v1 - view.v0;
  const format = tickFormatter(step);
  setAttr(svg, 'width', String(width + left));
  setAttr(svg, 'height', String(height));
  let g = svg.querySelector<SVGGElement>(':scope > g.ticks');
  if (!g) {
    g = svg.appendChild(document.createElementNS(SVG_NS, 'g'));
    g.setAttribute('class', 'ticks');
    g.setAttribute('fill', 'none');
    g.setAttribute('font-size', '10');
    g.setAttribute('font-family', 'sans-serif');
    g.setAttribute('text-anchor', 'middle');
    const domain = g.appendChild(document.createElementNS(SVG_NS, 'path'));
    domain.setAttribute('class', 'domain');
    domain.setAttribute('stroke', 'currentColor');
  }
  setAttr(g, 'transform', `translate(${left},0)`);
  // d3-axis: half a pixel to the right on a 1× display, so 1 px lines land on a pixel.
  const offset = window.devicePixelRatio > 1 ? 0 : 0.5;
  const [r0, r1] = scale.range();
  setAttr(g.firstElementChild!, 'd', `M${r0 + offset},${TICK}V${offset}H${r1 + offset}V${TICK}`);
  let tick = g.firstElementChild!.nextElementSibling;
  for (const value of ticks) {
    if (!tick) {
      tick = g.appendChild(document.createElementNS(SVG_NS, 'g'));
      tick.setAttribute('class', 'tick');
      tick.setAttribute('opacity', '1');
      const line = tick.appendChild(document.createElementNS(SVG_NS, 'line'));
      line.setAttribute('stroke', 'currentColor');
      line.setAttribute('y2', String(TICK));
      const text = tick.appendChild(document.createElementNS(SVG_NS, 'text'));
      text.setAttribute('fill', 'currentColor');
      text.setAttribute('y', String(TICK + PADDING));
      text.setAttribute('dy', '0.71em');
    }
    setAttr(tick, 'transform', `translate(${scale(value) + offset},0)`);
    const text = tick.lastElementChild!;
    const label = format(value);
    if (text.textContent !== label) text.textContent = label;
    tick = tick.nextElementSibling;
  }
  while (tick) {
    const next = tick.nextElementSibling;
    tick.remove();
    tick = next;
  }
}

function setAttr(el: Element, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}
