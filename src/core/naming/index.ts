/**
 * Names and words shared by the summary, the timeline and the HTML report:
 * one Naming per trace, kept up to date as rows arrive (update()).
 */
import type { ProcessInfo } from '../trace/traceModel';
import type { TraceStore } from '../trace/traceStore';
import { NamingFacts, type ChildProgram } from './facts';
import { objectLibrary } from './libraries';
import { foldNames } from './lists';
import { ObjectNames } from './objectNames';
import { programWords, Words, type ProgramWords } from './words';

export { NamingFacts, type ChildProgram } from './facts';
export { foldNames, plural } from './lists';
export { libraryName, objectLibrary, packageOfFile } from './libraries';
export { ObjectNames } from './objectNames';
export { programWords, signalName, Words, type ProcessRole, type ProcessWords, type ProgramWords, type ThreadRole, type ThreadWords } from './words';

export class Naming {
  readonly facts = new NamingFacts();
  readonly objects: ObjectNames;
  readonly words: Words;

  constructor(readonly store: TraceStore) {
    this.objects = ObjectNames.of(store);
    this.words = new Words(store, this.facts, this.objects);
  }

  /** Takes in the rows added since the last call. */
  update(): this {
    this.facts.update(this.store);
    return this;
  }

  fold(names: readonly string[], max?: number): string {
    return foldNames(names, max);
  }

  /** The library ("dask") a lock, queue or asyncio task belongs to, '' when it is the program's. */
  objectLibrary(id: number): string {
    return objectLibrary(this.store, id);
  }

  program(c: ChildProgram): ProgramWords {
    return programWords(this.store, c.row, c.joinRow);
  }

  /**
   * When a process's life ended, for drawing: its exit, or for one ended by a signal the later
   * of its last event and the moment the signal was sent (a worker idle until its pool's shutdown
   * lived until then). NaN while it runs.
   */
  lifeEnd(p: ProcessInfo): number {
    if (!p.exited) return NaN;
    const term = this.facts.terminateRow.get(p.pid);
    if (term !== undefined && p.signal) return Math.max(p.endTs, this.store.ts[term]);
    return p.endTs;
  }
}
