/**
 * Names and words shared by the summary, the timeline and the HTML report:
 * one Naming per trace, kept up to date as rows arrive (update()).
 */
import type { TraceStore } from '../traceStore';
import { NamingFacts } from './facts';
import { ObjectNames } from './objectNames';
import { Words } from './words';

export { NamingFacts, type ChildProgram } from './facts';
export { foldNames, plural } from './lists';
export { ObjectNames } from './objectNames';
export { programWords, signalName, Words, type ProcessRole, type ProcessWords, type ProgramWords, type ThreadRole, type ThreadWords } from './words';

export class Naming {
  readonly facts = new NamingFacts();
  readonly objects: ObjectNames;
  readonly words: Words;

  constructor(readonly store: TraceStore) {
    this.objects = new ObjectNames(store);
    this.words = new Words(store, this.facts, this.objects);
  }

  /** Takes in the rows added since the last call. */
  update(): this {
    this.facts.update(this.store);
    return this;
  }
}
