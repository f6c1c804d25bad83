/**
 * What a finding is: the contract between the analysis (src/core/analysis),
 * the summary (`summary --json` carries these objects as they are), the HTML
 * report, the timeline's Findings pane and the editor's Problems panel.
 * Plain JSON data (no NaN, no Map): it crosses to the webview as it is.
 *
 * Times are ns on the run's clock (the store's ts/end); `events` are store
 * rows, valid for the trace the finding was computed on.
 */

/** Names are the `summary --json` contract: never rename one. */
export type FindingKind =
  | 'deadlock'
  | 'lock-order-inversion'
  | 'data-race'
  | 'gil-contention'
  | 'lock-contention'
  | 'unjoined'
  | 'idle-workers'
  | 'oversubscription'
  | 'uncaught-exception';

export const FINDING_KINDS: readonly FindingKind[] = [
  'deadlock', 'lock-order-inversion', 'data-race', 'gil-contention', 'lock-contention',
  'unjoined', 'idle-workers', 'oversubscription', 'uncaught-exception',
];

/** error: the program is wrong (deadlock, race); warning: it works but badly; info: worth knowing. */
export type FindingSeverity = 'error' | 'warning' | 'info';

/** A thread or a process that takes part (for a process-level party, `thread` is -1). */
export interface FindingParty {
  pid: number;
  /** Store thread index, or -1 for the process as a whole. */
  thread: number;
  /** "MainThread (pid 1234)", "deposit() / Process-1". */
  name: string;
}

/** A lock, queue, shared value, variable, future… by the name the user gave it. */
export interface FindingObject {
  /** Trace object id (0 when the object has none, e.g. a thread joined). */
  id: number;
  /** "Lock", "multiprocessing.Value", "Python.global"… */
  type: string;
  /** "lock_a", "balance", "accounts[3]", numbered ("lock#2") when two share a name. */
  name: string;
  /** Where it was created, when known. */
  created?: FindingSite;
}

/** A statement involved in the finding. */
export interface FindingSite {
  file: string;
  /** 1-based. */
  line: number;
  /** What happens there, in a few words: "waits for lock_b", "writes balance (41 → 42)". */
  role: string;
  /** Store row of the event at this site, when there is one. */
  row?: number;
}

/**
 * Something to draw on the timeline between two events (store rows):
 * a wait-for edge of a cycle, the two accesses of a race, a lock-order edge.
 */
export interface FindingEdge {
  fromRow: number;
  toRow: number;
  label: string;
}

export interface Finding {
  /** Stable across re-analysis of a growing trace (kind + the objects/sites it is about): live views dedupe by it. */
  id: string;
  kind: FindingKind;
  severity: FindingSeverity;
  /** One line a learner understands. */
  message: string;
  /** A few sentences: what happened, why it is a problem, the fix that usually applies. */
  explanation: string;
  parties: FindingParty[];
  objects: FindingObject[];
  sites: FindingSite[];
  /** The time window the finding is about (startTs ≤ endTs). */
  window: { startTs: number; endTs: number };
  /** Store rows the finding rests on (the UI highlights them). */
  events: number[];
  /** Arrows to draw (wait-for cycle, racing pair, lock-order edges). */
  edges: FindingEdge[];
  /** Concrete steps from this run, in order ("P1 read 41 at line 9", …), when the kind has them. */
  steps?: string[];
  /** Kind-specific figures (e.g. { lastedMs, endedBy } for a dissolved deadlock, { cores, threads } for the GIL). */
  details?: Record<string, string | number | boolean>;
}
