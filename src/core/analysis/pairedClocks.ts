/**
 * Clocks carried by messages that pair k-th with k-th under one key (a
 * Manager proxy call's request and its reply: proxy_calls.py's call key),
 * whichever end the time-ordered stream reaches first. Across the traces of
 * several hosts the estimated clock offsets can put a handler's start a
 * little before its call's: a receive that finds no clock yet waits for the
 * send, which then hands its clock to the receiving thread (delivered at that
 * thread's next event, through `deliver`).
 */
export type Clock = number[];

export class PairedClocks {
  private readonly sent = new Map<number, Clock[]>();
  private readonly waiting = new Map<number, number[]>();
  /** Keys with a queue of either kind (bounds memory on traces whose other end is missing). */
  private static readonly MAX_KEYS = 200000;

  constructor(private readonly deliver: (thread: number, clock: Clock) => void) {}

  /** A message sent under `key` carrying `clock` (a copy the caller no longer changes). */
  send(key: number, clock: Clock): void {
    const w = this.waiting.get(key);
    if (w && w.length > 0) {
      const thread = w.shift()!;
      if (w.length === 0) this.waiting.delete(key);
      this.deliver(thread, clock);
      return;
    }
    const list = this.sent.get(key);
    if (list) list.push(clock);
    else if (this.sent.size < PairedClocks.MAX_KEYS) this.sent.set(key, [clock]);
  }

  /** The clock of the oldest unreceived message under `key`, or undefined (then the thread waits for it). */
  receive(key: number, thread: number): Clock | undefined {
    const list = this.sent.get(key);
    if (list && list.length > 0) {
      const c = list.shift()!;
      if (list.length === 0) this.sent.delete(key);
      return c;
    }
    const w = this.waiting.get(key);
    if (w) w.push(thread);
    else if (this.waiting.size < PairedClocks.MAX_KEYS) this.waiting.set(key, [thread]);
    return undefined;
  }
}
