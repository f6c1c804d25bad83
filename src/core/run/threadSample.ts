/**
 * How a per-thread CPU sample row packs the core it last ran on and its scheduler state
 * into `b`. Pure (no Node modules), so the webview can decode samples too; sampler.ts
 * re-exports both.
 *
 *     b = core + 256 × stateCode
 *
 * where stateCode is the char code of the state letter from /proc (R running, S sleeping,
 * D disk wait, Z zombie, T stopped, t traced, I idle, X dead …). So 'R' on core 3 is
 * 3 + 256 × 82 = 20995. Valid for cores 0–255 (a larger core number would spill into the state).
 */
export function encodeThreadSample(core: number, state: string): number {
  return core + 256 * state.charCodeAt(0);
}

export function decodeThreadSample(b: number): { core: number; state: string } {
  return { core: b % 256, state: String.fromCharCode(Math.floor(b / 256)) };
}
