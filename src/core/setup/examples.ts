/**
 * The bundled examples, one per lesson of the tutorials our users learn
 * from, in the order the walkthrough teaches them. The files are in
 * `examples/` (shipped in the .vsix, see .vscodeignore); `look` says what the
 * timeline shows for the lesson.
 */
export interface ExampleLesson {
  /** Stable id, used in walkthrough links (`concurrencyTrace.runExample` with ["pool"]) and context keys (`concurrencyTrace.ranExample.pool`). */
  id: string;
  title: string;
  /** File name in examples/. */
  file: string;
  /** What to look at in the timeline. */
  look: string;
}

export const EXAMPLE_LESSONS: readonly ExampleLesson[] = [
  { id: 'processes', title: 'Processes', file: 'processes.py', look: 'four processes each summarize a chunk of the data at the same time; spawn and join arrows from the main process' },
  { id: 'pool', title: 'Pool.map', file: 'pool_square.py', look: 'six tasks spread over four worker processes, submit → run → result arrows' },
  { id: 'gil', title: 'Threads vs processes (the GIL)', file: 'threads_vs_processes.py', look: '4 threads use about 1.0 cores, 4 processes use every core' },
  { id: 'lock', title: 'Lock', file: 'threads_lock.py', look: 'four threads taking turns: waits for the lock, then holds' },
  { id: 'deadlock', title: 'Deadlock', file: 'deadlock.py', look: 'two threads each hold one lock and wait for the other: the deadlock finding' },
  { id: 'queue', title: 'Queue', file: 'producer_consumer.py', look: 'put → get arrows from the producer to the two consumers' },
  { id: 'pipe', title: 'Pipe', file: 'pipe.py', look: 'the parent sends numbers, the child squares them and sends them back: an arrow from each send to its recv' },
  { id: 'shared_value', title: 'Shared Value and Array', file: 'shared_value.py', look: 'four processes add to a shared counter under its lock and write their slot of a shared Array' },
  { id: 'bank_account', title: 'The bank account (a race)', file: 'bank_account.py', look: 'deposit and withdraw interleave their reads and writes of the balance: a data race' },
  { id: 'asyncio', title: 'asyncio.gather', file: 'asyncio_gather.py', look: 'three tasks take turns on one thread: their waits overlap, their work does not' },
];

export function lessonById(id: string): ExampleLesson | undefined {
  return EXAMPLE_LESSONS.find((l) => l.id === id);
}
