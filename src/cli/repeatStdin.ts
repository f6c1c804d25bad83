/**
 * What stdin each run of `run --repeat` gets. A run reads its stdin to the
 * end; the next one could not read it again. So: a terminal is shared (each
 * run reads what is typed while it runs), /dev/null and a closed stdin stay
 * as they are, a regular file is opened again for every run (each reads it
 * from its start), and a pipe, a socket or anything else that can be read
 * only once is refused before the first run, with what to do instead.
 */
import * as fs from 'node:fs';
import * as tty from 'node:tty';
import { UsageError } from './flags';

export type StdinKind = 'terminal' | 'null' | 'closed' | 'file' | 'once';

export function stdinKind(closedAtStart: boolean): StdinKind {
  if (closedAtStart) return 'closed';
  if (tty.isatty(0)) return 'terminal';
  let st: fs.Stats;
  try {
    st = fs.fstatSync(0);
  } catch {
    return 'closed';
  }
  if (st.isFile()) return 'file';
  if (st.isCharacterDevice()) {
    try {
      if (fs.realpathSync('/proc/self/fd/0') === '/dev/null') return 'null';
    } catch {
      // no /proc: a character device other than a terminal
    }
  }
  return 'once';
}

/** How runs get their stdin: 'inherit' (as this process has it) or 'reopen' (the file, from its start, for each run). */
export function repeatStdin(kind: StdinKind): 'inherit' | 'reopen' {
  if (kind === 'file') return 'reopen';
  if (kind === 'once') {
    throw new UsageError('--repeat cannot give every run the same stdin from a pipe or socket (it can be read only once): '
      + 'save it to a file and redirect from it (< input.txt; each run reads it from its start), or run with < /dev/null');
  }
  return 'inherit';
}

/** A new descriptor on stdin's file, at its start (Linux /proc: the file even if it was deleted or renamed). */
export function reopenStdinFile(): number {
  return fs.openSync('/proc/self/fd/0', fs.constants.O_RDONLY);
}
