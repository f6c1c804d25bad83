/**
 * The CLI exits as the script did, so that a shell, `make` or CI sees the
 * same status: with its exit code, or killed by the same signal. A signal
 * whose default action does not end a process (SIGCHLD, SIGCONT, SIGURG,
 * SIGWINCH) cannot be mirrored that way; then the shells' convention 128 + N.
 */
import { execFileSync } from 'node:child_process';
import { signalNumber } from '../core/run/runTrace';

/** Signals whose default action dumps core: Node must not write a core file of its own for them. */
const CORE_DUMPING = new Set<string>(['SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGIOT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGXCPU', 'SIGXFSZ', 'SIGSYS']);

/** A run ended by --timeout: the status of `timeout(1)`. */
export const TIMED_OUT_STATUS = 124;

/** The exit status a shell reports for a process killed by `signal`. */
export function statusForSignal(signal: NodeJS.Signals): number {
  return 128 + signalNumber(signal);
}

/** Ends this process killed by `signal` (its default action), else with 128 + N. Never returns. */
export function exitLikeSignal(signal: NodeJS.Signals): never {
  process.removeAllListeners(signal);
  if (CORE_DUMPING.has(signal)) {
    try {
      // The script already dumped its core (if the limit allowed): no second one of Node itself.
      execFileSync('prlimit', [`--pid=${process.pid}`, '--core=0:'], { stdio: 'ignore', timeout: 2000 });
    } catch {
      // prlimit missing: a core file of Node may follow, as the limit allows.
    }
  }
  try {
    // libuv puts the default action back when a signal's last listener goes (Node ignores SIGPIPE
    // and SIGXFSZ, and starts its inspector on SIGUSR1, until then).
    const noop = (): void => undefined;
    process.on(signal, noop);
    process.removeListener(signal, noop);
  } catch {
    // SIGKILL and SIGSTOP take no listener and need no reset.
  }
  try {
    // A fatal signal sent to oneself ends the process before kill() returns.
    process.kill(process.pid, signal);
  } catch {
    // unknown to this platform
  }
  process.exit(statusForSignal(signal));
}
