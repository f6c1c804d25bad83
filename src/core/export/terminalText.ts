/**
 * Trace strings (thread names, printed text, file names, argv) come from the
 * traced program or from whoever sent the trace file. Printed raw, they could
 * drive the terminal: clear the screen, set the title, write the clipboard
 * (OSC 52), or reorder what is shown (bidi overrides). Before any of them
 * reaches a terminal, every control character is shown as an escape instead.
 */

/**
 * C0 controls, DEL, C1 controls (0x80–0x9f: CSI, OSC… in their 8-bit form),
 * and the Unicode controls that reorder or hide text: bidi embeddings,
 * overrides and isolates, direction marks, line/paragraph separators.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_KEEP_LINES = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escape(ch: string): string {
  const c = ch.charCodeAt(0);
  return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
}

/** One line of text safe for a terminal: every control (newlines too) becomes a visible escape. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** Text of several lines: newlines stay, every other control becomes a visible escape. */
export function terminalSafeLines(text: string): string {
  return text.replace(UNSAFE_KEEP_LINES, escape);
}

/**
 * JSON text whose string values cannot drive a terminal either:
 * JSON.stringify escapes C0 controls but leaves C1 and bidi controls raw.
 * The \u escapes are the same JSON value.
 */
export function jsonSafe(json: string): string {
  return json.replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A copy of a JSON-like value with every string made terminal-safe (for text output built from it). */
export function withSafeStrings<T>(value: T): T {
  if (typeof value === 'string') return terminalSafe(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => withSafeStrings(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = withSafeStrings(v);
    return out as T;
  }
  return value;
}
