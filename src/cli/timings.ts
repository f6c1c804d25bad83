/**
 * `CONCURRENCY_TRACE_TIMINGS=1`: one stderr line with the run's fixed costs
 * (ms from the Node process's start to each step, and the CLI's own CPU time), for the benchmarks.
 */
import { say } from './output';

export class Timings {
  private readonly marks: [string, number][] = [];
  constructor(readonly on: boolean) {}
  mark(name: string): void {
    if (this.on) this.marks.push([name, performance.now()]);
  }
  report(): void {
    if (!this.on) return;
    const cpu = process.cpuUsage();
    say(`timings: ${this.marks.map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(' · ')} · CLI CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)}`);
  }
}
