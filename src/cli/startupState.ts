/**
 * What this process was given when it started, which a traced script must be
 * given too: descriptors above 2 (`run s.py 3<in`), and where it stands on its
 * terminal (is it the foreground job, so that Ctrl-C reaches the script by
 * itself?). Read once at start-up, before this process opens files of its own.
 *
 * Linux /proc is the source; elsewhere nothing is detected and runs behave as
 * before (fds 0–2 only).
 */
import * as fs from 'node:fs';

export interface StartupState {
  /** Descriptors ≥ 3 inherited from the parent. */
  inheritedFds: number[];
  /** Which of 0, 1, 2 were closed when this process started. */
  closedStdio: number[];
  /** Has a controlling terminal. */
  hasTerminal: boolean;
  /** Is the foreground process group of its terminal: the terminal's Ctrl-C, Ctrl-\ and hangup reach the whole group. */
  terminalForeground: boolean;
}

function link(fd: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * Descriptors ≥ 3 this process inherited. Node marks them close-on-exec at
 * start like its own, so they are told apart by kind: Node's own are epoll,
 * eventfd and other anonymous inodes, and pipes whose two ends are both open
 * here (its internal wake-up pipes); and the IPC channel of a Node parent.
 */
export function inheritedDescriptors(entries?: [number, string][]): number[] {
  let list = entries;
  if (!list) {
    try {
      list = fs.readdirSync('/proc/self/fd').map(Number).filter((fd) => fd >= 3)
        .map((fd): [number, string] => [fd, link(fd) ?? '']).filter(([, target]) => target !== '');
    } catch {
      return [];
    }
  }
  const pipeEnds = new Map<string, number>();
  for (const [, target] of list) if (target.startsWith('pipe:')) pipeEnds.set(target, (pipeEnds.get(target) ?? 0) + 1);
  const ipc = Number(process.env.NODE_CHANNEL_FD ?? -1);
  return list
    .filter(([fd, target]) => fd >= 3 && fd !== ipc && !target.startsWith('anon_inode:') && !(target.startsWith('pipe:') && (pipeEnds.get(target) ?? 0) > 1)
      // The folder listing itself.
      && !(target.startsWith('/proc/') && target.endsWith('/fd')))
    .map(([fd]) => fd)
    .sort((a, b) => a - b);
}

/** Terminal fields of /proc/self/stat: tty_nr and whether this group is the terminal's foreground group. */
export function terminalPosition(stat?: string): { hasTerminal: boolean; foreground: boolean } {
  let text = stat;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/stat', 'latin1');
    } catch {
      return { hasTerminal: false, foreground: false };
    }
  }
  // pid (comm) state ppid pgrp session tty_nr tpgid …; comm may hold spaces and parentheses.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(f[2]);
  const ttyNr = Number(f[4]);
  const tpgid = Number(f[5]);
  return { hasTerminal: ttyNr !== 0, foreground: ttyNr !== 0 && tpgid === pgrp };
}

export function readStartupState(): StartupState {
  const position = terminalPosition();
  return {
    inheritedFds: inheritedDescriptors(),
    // A standard descriptor closed at start (`<&-`) cannot be told apart here: Node opens
    // /dev/null read-write in its place before any code of ours runs, exactly as a parent's
    // subprocess.DEVNULL looks. Tools run us with DEVNULL far more often than anyone closes
    // stdin, so /dev/null is passed on as it is (README, Limits).
    closedStdio: [],
    hasTerminal: position.hasTerminal,
    terminalForeground: position.foreground,
  };
}
