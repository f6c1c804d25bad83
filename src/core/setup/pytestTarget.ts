/**
 * Which pytest test a line of a Python file belongs to, found by reading the
 * source the way pytest collects by default (python_files test_*.py and
 * *_test.py, python_classes Test*, python_functions test*): a module-level
 * `def test…` / `async def test…`, a `class Test…` and its `test…` methods,
 * nested `Test…` classes. No Python is run: a scan of logical lines that
 * skips strings, comments and bracketed continuation lines.
 */
import * as path from 'node:path';

export interface TestItem {
  /** From the module down: ['TestAccount', 'test_deposit'] or ['test_one']. */
  names: string[];
  kind: 'function' | 'class';
  /** 0-based line of the `def` / `class` keyword. */
  line: number;
  /** 0-based first line (its first decorator, else the def/class line). */
  startLine: number;
  /** 0-based last line of its body. */
  endLine: number;
}

/** Whether pytest collects tests from a file of this name by default. */
export function isTestFileName(file: string): boolean {
  const name = path.basename(file);
  return /^test_.*\.py$/.test(name) || /^.+_test\.py$/.test(name);
}

interface LogicalLine {
  /** 0-based line where it starts. */
  line: number;
  /** 0-based line where it ends (continuations included). */
  end: number;
  indent: number;
  /** The first physical line's text without its indentation. */
  text: string;
}

/**
 * Logical lines (statements): a physical line that starts outside any
 * string and bracket, with its continuation lines. Blank and comment-only
 * lines are left out (they end no block).
 */
function logicalLines(source: string): LogicalLine[] {
  const lines = source.split(/\r\n|\r|\n/);
  const out: LogicalLine[] = [];
  let depth = 0;
  let quote: string | undefined; // the open triple quote (''' or """), across lines
  let current: LogicalLine | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (depth === 0 && !quote && !(current && endsWithBackslash(lines[i - 1] ?? ''))) {
      const trimmed = raw.trimStart();
      if (trimmed === '' || trimmed.startsWith('#')) {
        current = undefined;
        continue;
      }
      current = { line: i, end: i, indent: indentWidth(raw), text: trimmed };
      out.push(current);
    } else if (current) {
      current.end = i;
    }
    // Walk the characters for brackets and strings.
    for (let j = 0; j < raw.length; j++) {
      const ch = raw[j];
      if (quote) {
        if (ch === '\\') j++;
        else if (raw.startsWith(quote, j)) {
          j += quote.length - 1;
          quote = undefined;
        }
        continue;
      }
      if (ch === '#') break;
      if (ch === '"' || ch === "'") {
        const triple = ch.repeat(3);
        if (raw.startsWith(triple, j)) {
          quote = triple;
          j += 2;
          continue;
        }
        // A one-line string: to its closing quote (or the end of the line).
        for (j++; j < raw.length && raw[j] !== ch; j++) if (raw[j] === '\\') j++;
        continue;
      }
      if (ch === '(' || ch === '[' || ch === '{') depth++;
      else if ((ch === ')' || ch === ']' || ch === '}') && depth > 0) depth--;
    }
  }
  return out;
}

function endsWithBackslash(line: string): boolean {
  return /\\$/.test(line);
}

function indentWidth(line: string): number {
  let n = 0;
  for (const ch of line) {
    if (ch === ' ') n++;
    else if (ch === '\t') n = n + 8 - (n % 8);
    else break;
  }
  return n;
}

const DEF = /^(?:async\s+)?def\s+([\p{L}\p{Nl}_][\p{L}\p{N}_]*)/u;
const CLASS = /^class\s+([\p{L}\p{Nl}_][\p{L}\p{N}_]*)/u;

interface Block {
  indent: number;
  name: string;
  kind: 'function' | 'class';
  line: number;
  startLine: number;
  endLine: number;
  /** Its path from the module when pytest would collect it; undefined otherwise. */
  names?: string[];
}

/** Every test function, method and class pytest would collect from the file, in source order. */
export function findTests(source: string): TestItem[] {
  const items: TestItem[] = [];
  const stack: Block[] = [];
  let decoratorStart: number | undefined;
  const close = (indent: number): void => {
    while (stack.length && stack[stack.length - 1].indent >= indent) {
      const b = stack.pop()!;
      if (b.names) items.push({ names: b.names, kind: b.kind, line: b.line, startLine: b.startLine, endLine: b.endLine });
    }
  };
  for (const l of logicalLines(source)) {
    close(l.indent);
    for (const b of stack) b.endLine = l.end;
    if (l.text.startsWith('@')) {
      decoratorStart ??= l.line;
      continue;
    }
    const def = DEF.exec(l.text);
    const cls = def ? undefined : CLASS.exec(l.text);
    const startLine = decoratorStart ?? l.line;
    decoratorStart = undefined;
    if (!def && !cls) continue;
    const name = (def ?? cls)![1];
    const kind = def ? 'function' : 'class';
    const parent = stack[stack.length - 1];
    // Collected only under the module or a collected Test… class (never inside a function).
    const parentNames = parent ? (parent.kind === 'class' ? parent.names : undefined) : [];
    const collected = parentNames !== undefined && (kind === 'function' ? name.startsWith('test') : name.startsWith('Test'));
    stack.push({ indent: l.indent, name, kind, line: l.line, startLine, endLine: l.end, names: collected ? [...parentNames, name] : undefined });
  }
  close(-1);
  return items.sort((a, b) => a.line - b.line);
}

/** The innermost test (method before its class) whose lines hold `line` (0-based). */
export function testAt(tests: TestItem[], line: number): TestItem | undefined {
  let best: TestItem | undefined;
  for (const t of tests) {
    if (line < t.startLine || line > t.endLine) continue;
    if (!best || t.names.length > best.names.length) best = t;
  }
  return best;
}

/**
 * The node id to give pytest on its command line: the file relative to the
 * working directory (pytest's rootdir-relative form) when it is inside it,
 * else absolute; then the names, `::`-separated.
 */
export function pytestNodeId(file: string, cwd: string, names: string[]): string {
  const rel = path.relative(cwd, file);
  const shown = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
  return [shown, ...names].join('::');
}
