/** The time axis (d3-axis on SVG): time since the start of the run, in a unit that fits the zoom. */
import { axisBottom, scaleLinear, select } from 'd3';
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

export function drawAxis(svg: SVGSVGElement, view: TimeView, width: number, height: number, left: number): void {
  const scale = scaleLinear().domain([view.v0 - view.t0, view.v1 - view.t0]).range([0, width]);
  const ticks = scale.ticks(Math.max(2, Math.floor(width / 110)));
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : view.v1 - view.v0;
  const axis = axisBottom(scale).tickValues(ticks).tickFormat((d) => tickFormatter(step)(Number(d))).tickSizeOuter(0).tickSize(5);
  svg.setAttribute('width', String(width + left));
  svg.setAttribute('height', String(height));
  const root = select(svg);
  let g = root.select<SVGGElement>('g.ticks');
  if (g.empty()) g = root.append('g').attr('class', 'ticks');
  g.attr('transform', `translate(${left},0)`).call(axis);
}
