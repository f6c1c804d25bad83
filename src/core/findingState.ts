/**
 * Facts about a finding that the live views act on, read from the contract's
 * fields (no analysis here: the webview bundles this too).
 */
import type { Finding } from './analysis/finding';

/**
 * A deadlock that still holds the program (not one that dissolved: a timeout, Ctrl-C).
 * The analysis says so in details.ongoing; a deadlock without it is one seen at the
 * end of what has been traced so far, so it holds.
 */
export function isOngoingDeadlock(f: Finding): boolean {
  return f.kind === 'deadlock' && f.details?.ongoing !== false;
}
