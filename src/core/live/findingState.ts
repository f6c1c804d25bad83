/**
 * What the views say about a finding and act on, from the contract's fields
 * alone (no analysis here: the webview bundles this too): the words for each
 * kind, and whether a deadlock still holds the program.
 */
import type { Finding, FindingKind } from '../analysis/finding';

/** Each kind in a few words, as the pane's chips, the Problems hover and the repeat summary say it. */
export const KIND_WORDS: Record<FindingKind, string> = {
  'deadlock': 'deadlock',
  'lock-order-inversion': 'lock-order inversion',
  'data-race': 'data race',
  'gil-contention': 'GIL contention',
  'lock-contention': 'lock contention',
  'unjoined': 'not joined',
  'idle-workers': 'idle workers',
  'oversubscription': 'oversubscription',
  'uncaught-exception': 'uncaught exception',
};

/** "data race" (a kind this build does not know is shown as its name). */
export function kindWords(kind: string): string {
  return (KIND_WORDS as Record<string, string>)[kind] ?? kind;
}

/** "Data race": for titles and the start of a sentence. */
export function kindTitle(kind: string): string {
  const w = kindWords(kind);
  return w.charAt(0).toUpperCase() + w.slice(1);
}

/**
 * A deadlock that still holds the program (not one that dissolved: a timeout, Ctrl-C).
 * The analysis says so in details.ongoing; a deadlock without it is one seen at the
 * end of what has been traced so far, so it holds.
 */
export function isOngoingDeadlock(f: Finding): boolean {
  return f.kind === 'deadlock' && f.details?.ongoing !== false;
}
