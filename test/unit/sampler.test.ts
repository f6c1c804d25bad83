import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { SAMPLE_CORE, SAMPLE_CPU } from '../../src/core/recordKinds';
import { Sampler, decodeThreadSample, encodeThreadSample, pageSize, parseStat } from '../../src/core/sampler';
import { TraceStore } from '../../src/core/traceStore';

const hasProc = process.platform === 'linux' && fs.existsSync('/proc/self/task');

function addProcess(store: TraceStore, pid: number): number {
  const p = store.addProcess({
    pid, ppid: 0, parentPid: 0, name: `pid ${pid}`, argv: [], python: '', startTs: 0, endTs: 0, exited: false,
    exitCode: null, signal: null, internal: false, wallNsAtStart: null, mainThread: -1,
  });
  return p.index;
}

function addThread(store: TraceStore, pid: number, nativeId: number): number {
  const process = store.processByPid(pid)?.index ?? addProcess(store, pid);
  return store.addThread({
    process, pid, ident: nativeId, nativeId, name: `t${nativeId}`, startTs: 0, endTs: NaN, daemon: false,
    internal: false, main: false, exception: null,
  }).index;
}

interface Row { kind: number; ts: number; thread: number; obj: number; a: number; b: number }

function rows(store: TraceStore): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < store.length; i++) {
    out.push({ kind: store.kind[i], ts: store.ts[i], thread: store.thread[i], obj: store.obj[i], a: store.a[i], b: store.b[i] });
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Spins until this process has used `ms` of CPU time (its clock ticks move whatever the load). */
function spinCpu(ms: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if (used.user + used.system >= ms * 1000) return;
  }
}

function statLine(pid: number, comm: string, state: string, utime: number, stime: number, startTime: number, core: number, rssPages = 0): string {
  // Fields 3..52 of proc(5); the ones the sampler reads are 3, 14, 15, 22, 24, 39.
  const f = Array.from({ length: 50 }, () => '0');
  f[21] = String(rssPages);
  f[0] = state;
  f[11] = String(utime);
  f[12] = String(stime);
  f[19] = String(startTime);
  f[36] = String(core);
  return `${pid} (${comm}) ${f.join(' ')}\n`;
}

describe('thread sample encoding', () => {
  test('encode/decode round-trips every state letter on cores 0-255', () => {
    for (const state of ['R', 'S', 'D', 'Z', 'T', 't', 'I', 'X', 'W', 'P', 'K']) {
      for (const core of [0, 1, 7, 63, 128, 255]) {
        const b = encodeThreadSample(core, state);
        assert.deepEqual(decodeThreadSample(b), { core, state });
      }
    }
  });

  test('encoding is core + 256 * char code of the state', () => {
    assert.equal(encodeThreadSample(3, 'R'), 3 + 256 * 82);
  });
});

describe('parseStat', () => {
  test('fields are counted after the last ")" so a comm with spaces and parentheses parses', () => {
    const s = parseStat(statLine(4242, '(a) b (c)', 'S', 120, 30, 98765, 5, 777));
    assert.deepEqual(s, { state: 'S', ticks: 150, startTime: 98765, core: 5, rssPages: 777 });
  });

  test('a real stat line of this process parses', { skip: !hasProc }, () => {
    const s = parseStat(fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1'));
    assert.ok(s);
    assert.equal(s.state, 'R'); // it is running while it reads itself
    assert.ok(s.core >= 0 && s.core < os.cpus().length);
  });

  test('a truncated or garbled line gives undefined', () => {
    assert.equal(parseStat(''), undefined);
    assert.equal(parseStat('12 (x) R 1 2 3'), undefined);
    assert.equal(parseStat(statLine(1, 'x', 'R', 1, 1, 1, 0).replace(' 1 1 ', ' one 1 ')), undefined);
  });
});

describe('Sampler', () => {
  test('a busy child process shows > 30 % CPU per process and per thread, and every core gets rows', { skip: !hasProc }, async () => {
    const child = spawn('python3', ['-c', 'while True: pass'], { stdio: 'ignore' });
    const pid = child.pid!;
    try {
      const store = new TraceStore();
      const epochNs = process.hrtime.bigint();
      const main = addThread(store, pid, pid);
      const sampler = new Sampler({ store, epochNs, intervalMs: 50, pids: () => [pid, process.pid] });
      sampler.start();
      // This process works too (a quiet process writes no rows), leaving the timer room to fire;
      // until the rows are there (on a loaded machine the child gets a small share of a core).
      const count = (f: (r: Row) => boolean) => rows(store).filter((r) => r.kind === SAMPLE_CPU && f(r)).length;
      const started = Date.now();
      const childTicks = () => parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'))?.ticks ?? 0;
      while (Date.now() - started < 10_000) {
        spinCpu(10);
        await sleep(40);
        // Rows enough, and enough of the child's CPU time (clock ticks) for a peak to show.
        if (count((r) => r.thread === -1 && r.obj === pid) >= 3 && count((r) => r.thread === main) >= 3 && childTicks() >= 20) break;
      }
      await sampler.stop();

      const all = rows(store);
      const proc = all.filter((r) => r.kind === SAMPLE_CPU && r.thread === -1 && r.obj === pid);
      assert.ok(proc.length >= 3, `process rows: ${proc.length}`);
      // The peak, not the mean: on a loaded machine the child's start-up shares the cores.
      assert.ok(Math.max(...proc.map((r) => r.a)) > 10, `child cpu ${proc.map((r) => r.a.toFixed(0)).join(' ')}`);
      assert.ok(proc.every((r) => r.b > 1e6), 'rss bytes of a python process');

      const self = all.filter((r) => r.kind === SAMPLE_CPU && r.thread === -1 && r.obj === process.pid);
      assert.ok(self.length >= 1);
      const rss = process.memoryUsage().rss;
      assert.ok(self.every((r) => r.b > rss / 4 && r.b < rss * 4), 'this process\'s rss is about process.memoryUsage().rss');

      const thread = all.filter((r) => r.kind === SAMPLE_CPU && r.thread === main);
      assert.ok(thread.length >= 3, `thread rows: ${thread.length}`);
      assert.ok(thread.every((r) => r.obj === pid));
      assert.ok(Math.max(...thread.map((r) => r.a)) > 10, `thread cpu ${thread.map((r) => r.a.toFixed(0)).join(' ')}`);
      const decoded = thread.map((r) => decodeThreadSample(r.b));
      assert.ok(decoded.some((d) => d.state === 'R'), decoded.map((d) => d.state).join(''));
      assert.ok(decoded.every((d) => d.core >= 0 && d.core < os.cpus().length));

      const cores = all.filter((r) => r.kind === SAMPLE_CORE);
      const ncpu = os.cpus().length;
      assert.deepEqual([...new Set(cores.map((r) => r.obj))].sort((x, y) => x - y), [...Array(ncpu).keys()]);
      assert.ok(cores.every((r) => r.thread === -1 && r.a >= 0 && r.a <= 100));

      const ts = all.map((r) => r.ts);
      assert.ok(ts.every((t) => t > 0 && t < 5e9), 'ts on the run clock');
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('the current Node main thread spinning between two samples shows high CPU and state R', { skip: !hasProc }, async () => {
    const store = new TraceStore();
    const main = addThread(store, process.pid, process.pid);
    const sampler = new Sampler({ store, epochNs: process.hrtime.bigint(), pids: () => [process.pid] });
    await sampler.sampleOnce();
    spinCpu(150);
    await sampler.sampleOnce();
    await sampler.stop();
    const thread = rows(store).filter((r) => r.thread === main);
    assert.ok(thread.length >= 1);
    assert.ok(thread[0].a > 10, `cpu ${thread[0].a}`);
    assert.equal(decodeThreadSample(thread[0].b).state, 'R');
  });

  test('threads come from procRoot and map to store threads by pid and nativeId, lazily once they appear', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-proc-'));
    try {
      const pid = 999_001;
      const write = (tid: number, ticks: number, state: string, core: number) => {
        fs.mkdirSync(path.join(root, String(pid), 'task', String(tid)), { recursive: true });
        fs.writeFileSync(path.join(root, String(pid), 'task', String(tid), 'stat'), statLine(tid, 'py (worker) 1', state, ticks, 0, 500, core));
      };
      write(pid, 0, 'R', 1);
      write(pid + 1, 0, 'S', 0);
      const store = new TraceStore();
      const main = addThread(store, pid, pid);
      const sampler = new Sampler({ store, epochNs: process.hrtime.bigint(), pids: () => [pid], procRoot: root });
      await sampler.sampleOnce(); // baseline for the main thread; pid+1 is not in the store yet
      const worker = addThread(store, pid, pid + 1);
      await sleep(100);
      write(pid, 5, 'D', 3);
      write(pid + 1, 5, 'S', 2);
      await sampler.sampleOnce(); // main: a row; worker: its baseline
      await sleep(100);
      write(pid + 1, 10, 'R', 2);
      await sampler.sampleOnce();
      await sampler.stop();

      const thread = rows(store).filter((r) => r.kind === SAMPLE_CPU && r.thread >= 0);
      const mainRows = thread.filter((r) => r.thread === main);
      const workerRows = thread.filter((r) => r.thread === worker);
      assert.ok(mainRows.length >= 1 && workerRows.length >= 1, JSON.stringify(thread));
      assert.ok(thread.every((r) => r.obj === pid));
      // 5 ticks of 10 ms in about 100 ms: about 50 %.
      assert.ok(mainRows[0].a > 5 && mainRows[0].a <= 100, `main ${mainRows[0].a}`);
      assert.deepEqual(decodeThreadSample(mainRows[0].b), { core: 3, state: 'D' });
      assert.ok(workerRows[0].a > 5 && workerRows[0].a <= 100, `worker ${workerRows[0].a}`);
      assert.deepEqual(decodeThreadSample(workerRows[0].b), { core: 2, state: 'R' });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('a quiet process writes no rows and its threads are not read; when it works again a 0 row at the last quiet read precedes the new figure', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-proc-'));
    try {
      const pid = 999_101;
      const writeProcess = (ticks: number) => {
        fs.mkdirSync(path.join(root, String(pid)), { recursive: true });
        fs.writeFileSync(path.join(root, String(pid), 'stat'), statLine(pid, 'python3', 'S', ticks, 0, 700, 0, 1000));
      };
      const writeThread = (ticks: number, state: string) => {
        fs.mkdirSync(path.join(root, String(pid), 'task', String(pid)), { recursive: true });
        fs.writeFileSync(path.join(root, String(pid), 'task', String(pid), 'stat'), statLine(pid, 'python3', state, ticks, 0, 700, 1, 1000));
      };
      writeProcess(10);
      writeThread(10, 'S');
      const store = new TraceStore();
      const main = addThread(store, pid, pid);
      const epochNs = process.hrtime.bigint();
      const sampler = new Sampler({ store, epochNs, pids: () => [pid], procRoot: root });
      const cpuRows = () => rows(store).filter((r) => r.kind === SAMPLE_CPU);
      await sampler.sampleOnce(); // baselines
      await sleep(60);
      await sampler.sampleOnce();
      assert.equal(cpuRows().length, 0, 'quiet since the baseline: no rows');
      await sleep(60);
      // The thread's file says it ran, its process's says nobody did: the thread is not read.
      writeThread(13, 'D');
      await sampler.sampleOnce();
      await sleep(60);
      const quietSample = process.hrtime.bigint();
      await sampler.sampleOnce();
      assert.equal(cpuRows().length, 0, 'quiet: no rows');
      await sleep(60);
      writeProcess(16);
      writeThread(16, 'R');
      await sampler.sampleOnce();
      await sampler.stop();

      const procRows = cpuRows().filter((r) => r.thread === -1 && r.obj === pid);
      const threadRows = cpuRows().filter((r) => r.thread === main);
      const quietAt = Number(quietSample - epochNs);
      for (const list of [procRows, threadRows]) {
        const last = list.slice(-2);
        assert.equal(last.length, 2, JSON.stringify(list));
        assert.equal(last[0].a, 0, 'the quiet stretch ends with a 0 row');
        assert.ok(last[0].ts >= quietAt - 1e6 && last[0].ts < last[1].ts, 'at the last quiet read');
        // 6 ticks of 10 ms over about the 60 ms after the quiet read (not over the whole quiet stretch).
        assert.ok(last[1].a > 40, `the new figure covers the stretch after the quiet: ${last[1].a}`);
      }
      assert.equal(procRows.at(-1)!.b, 1000 * pageSize());
      assert.deepEqual(decodeThreadSample(threadRows.at(-1)!.b), { core: 1, state: 'R' });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('with a budget too small for every process, the least recently read go first and each gets its rows in turn', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-proc-'));
    try {
      const pids = [999_201, 999_202, 999_203];
      let ticks = 0;
      const work = () => {
        ticks += 3;
        for (const pid of pids) {
          fs.mkdirSync(path.join(root, String(pid)), { recursive: true });
          fs.writeFileSync(path.join(root, String(pid), 'stat'), statLine(pid, 'python3', 'R', ticks, 0, 700, 0, 1000));
        }
      };
      work();
      const store = new TraceStore();
      // A zero budget: one process per sample.
      const sampler = new Sampler({ store, epochNs: process.hrtime.bigint(), pids: () => pids, procRoot: root, budgetMs: 0 });
      const perSample: number[][] = [];
      for (let i = 0; i < 9; i++) {
        const before = store.length;
        await sampler.sampleOnce();
        const wrote = rows(store).slice(before).filter((r) => r.kind === SAMPLE_CPU);
        perSample.push([...new Set(wrote.map((r) => r.obj))]);
        await sleep(25);
        work();
      }
      await sampler.stop();
      // Three baselines (no rows), then one process per sample, round the three twice.
      assert.deepEqual(perSample.slice(0, 9), [[], [], [], ...[...pids, ...pids].map((pid) => [pid])]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('a procRoot without /proc entries (macOS, Windows) gives no thread rows and does not throw', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-noproc-'));
    try {
      const store = new TraceStore();
      addThread(store, process.pid, process.pid);
      const sampler = new Sampler({ store, epochNs: process.hrtime.bigint(), pids: () => [process.pid], procRoot: root });
      await sampler.sampleOnce();
      await sleep(60);
      await sampler.sampleOnce();
      await sampler.stop();
      const all = rows(store);
      assert.equal(all.filter((r) => r.thread >= 0).length, 0);
      assert.ok(all.some((r) => r.kind === SAMPLE_CORE), 'core rows still come');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('a pid that has exited is skipped without throwing', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    assert.ok(gone > 0);
    const store = new TraceStore();
    addThread(store, gone, gone);
    let pids = [gone];
    const sampler = new Sampler({ store, epochNs: process.hrtime.bigint(), pids: () => pids });
    await sampler.sampleOnce(); // the single-pid case: pidusage rejects
    pids = [gone, process.pid];
    await sampler.sampleOnce(); // the many-pid case: pidusage answers null for it
    spinCpu(40); // this process uses CPU: a quiet one would write no row
    await sampler.sampleOnce();
    await sampler.stop();
    const all = rows(store);
    assert.equal(all.filter((r) => r.obj === gone && r.kind === SAMPLE_CPU).length, 0);
    assert.ok(all.some((r) => r.kind === SAMPLE_CPU && r.obj === process.pid));
  });

  test('a sample asked for while one runs is the same sample, not a second one', async () => {
    const store = new TraceStore();
    const sampler = new Sampler({ store, epochNs: process.hrtime.bigint(), pids: () => [process.pid] });
    const first = sampler.sampleOnce();
    const second = sampler.sampleOnce();
    assert.equal(first, second);
    await first;
    await sampler.stop();
  });

  test('stop() takes a last sample and leaves no timers or pidusage fds behind', { skip: !hasProc }, async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const timersBefore = timers();
    const fdsBefore = fds();
    const store = new TraceStore();
    const sampler = new Sampler({ store, epochNs: process.hrtime.bigint(), intervalMs: 20, pids: () => [process.pid, process.ppid] });
    sampler.start();
    await sleep(70);
    const before = store.length;
    spinCpu(30); // this process moved: the last sample has a row to write
    await sampler.stop();
    assert.ok(store.length > before, 'the last sample wrote rows');
    assert.equal(timers(), timersBefore);
    assert.equal(fds(), fdsBefore);
    await sampler.stop(); // twice is fine
  });

  test('a started sampler that is never stopped does not keep Node alive', { skip: !hasProc }, () => {
    const sampler = path.resolve(__dirname, '../../src/core/sampler.ts');
    const store = path.resolve(__dirname, '../../src/core/traceStore.ts');
    const script = `
      const { Sampler } = require(${JSON.stringify(sampler)});
      const { TraceStore } = require(${JSON.stringify(store)});
      new Sampler({ store: new TraceStore(), epochNs: process.hrtime.bigint(), pids: () => [process.pid] }).start();
      setTimeout(() => {}, 200);`;
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Date.now() - started < 10_000);
  });
});
