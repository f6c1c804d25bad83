/**
 * Which Pythons are traced, decided from what is tested rather than from a
 * hard upper bound: a version newer than the tested ones is traced with a
 * one-line note (3.15 traced correctly the first time its gate was lifted);
 * older than 3.8 is refused (the runtime needs 3.8); a free-threaded build
 * is traced only with its GIL enabled, because the runtime claims event slots
 * with next() on an itertools.count, atomic only under the GIL.
 */

/** CPython versions the test suites run on (CI: pyenv 3.8–3.13, Debian forky's 3.14 and 3.15). */
export const TESTED_PYTHONS = { oldest: [3, 8], newest: [3, 15] } as const;

export interface PythonFacts {
  /** "3.15.0" */
  version: string;
  /** Built with Py_GIL_DISABLED (3.13t, 3.14t…). */
  freeThreaded?: boolean;
}

export interface PythonSupport {
  /** False: refuse to run (the note says why). */
  trace: boolean;
  /** One line for stderr or a warning; none for a tested version. */
  note?: string;
}

const range = `${TESTED_PYTHONS.oldest.join('.')}–${TESTED_PYTHONS.newest.join('.')}`;

/** Whether a free-threaded build runs with its GIL on, from the environment the script gets. */
function gilForcedOn(env: NodeJS.ProcessEnv): boolean {
  return env.PYTHON_GIL === '1';
}

export function pythonSupport(facts: PythonFacts, env: NodeJS.ProcessEnv): PythonSupport {
  const [major, minor] = facts.version.split('.').map(Number);
  const key = major * 1000 + minor;
  const oldest = TESTED_PYTHONS.oldest[0] * 1000 + TESTED_PYTHONS.oldest[1];
  const newest = TESTED_PYTHONS.newest[0] * 1000 + TESTED_PYTHONS.newest[1];
  if (!Number.isFinite(key) || key < oldest) {
    return { trace: false, note: `Python ${facts.version} is too old: Concurrency Trace needs ${TESTED_PYTHONS.oldest.join('.')} or newer` };
  }
  if (facts.freeThreaded && !gilForcedOn(env)) {
    return {
      trace: false,
      note: `Python ${facts.version} is a free-threaded build: Concurrency Trace needs the GIL and does not trace it with the GIL disabled; set PYTHON_GIL=1 to trace it with the GIL enabled (this changes its timing)`,
    };
  }
  const notes: string[] = [];
  if (key > newest) notes.push(`Python ${facts.version} is newer than the versions Concurrency Trace is tested with (${range}): tracing it anyway`);
  if (facts.freeThreaded) notes.push(`Python ${facts.version} is a free-threaded build, traced with the GIL enabled (PYTHON_GIL=1); free-threaded builds are not tested`);
  return notes.length ? { trace: true, note: notes.join('; ') } : { trace: true };
}
