/** Shared values, asyncio, sleeps, output and process trees. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TraceStore } from '../../src/core/trace/traceStore';
import { rows, START_METHODS, traceScript, userProcesses } from './harness';

const pidOf = (s: TraceStore, row: number): number => s.threads[s.thread[row]].pid;

for (const method of START_METHODS) {
  test(`Value, Array and Manager proxies: reads and writes with one id across processes (${method})`, async () => {
    const r = await traceScript('shared_state.py', [method]);
    assert.equal(r.exitCode, 0, r.stderr);
    const s = r.store;
    const counterId = [...s.objects.values()].find((o) => o.label === 'counter')?.id;
    assert.ok(counterId, 'the Value is named after its variable');
    const root = s.processes[0].pid;
    const reads = rows(s, 'SHARED_READ').filter((i) => s.obj[i] === counterId && pidOf(s, i) !== root);
    const writes = rows(s, 'SHARED_WRITE').filter((i) => s.obj[i] === counterId && pidOf(s, i) !== root);
    assert.equal(reads.length, 400, 'counter.value += 1 reads once per update, in the children');
    assert.equal(writes.length, 400);
    assert.equal(new Set(writes.map((i) => pidOf(s, i))).size, 2);
    for (const name of ['ns', 'lst', 'd', 'arr']) {
      const id = [...s.objects.values()].find((o) => o.label === name)?.id;
      assert.ok(id, `${name} is an object`);
      assert.ok(rows(s, 'SHARED_WRITE').some((i) => s.obj[i] === id && pidOf(s, i) !== root), `${name} written by the child`);
    }
  });

  test(`output, sleeps and a process tree (${method})`, async () => {
    const r = await traceScript('stdio_and_sleep.py', [method]);
    assert.equal(r.exitCode, 0, r.stderr);
    const s = r.store;
    const texts = rows(s, 'IO_WRITE').map((i) => ({ text: s.strings[s.a[i]], stream: s.b[i] & 3, pid: pidOf(s, i) }));
    assert.ok(texts.some((t) => t.text.includes('héllo ✓') && t.stream === 1));
    assert.ok(texts.some((t) => t.text.includes('to stderr') && t.stream === 2));
    const root = s.processes[0].pid;
    assert.ok(texts.some((t) => t.text.includes('from child') && t.pid !== root), 'a child prints under its own pid');
    const sleeps = rows(s, 'SLEEP');
    assert.ok(sleeps.length >= 4);
    assert.ok(sleeps.every((i) => s.end[i] - s.ts[i] >= 0.009e9 || s.a[i] < 0.01e9));
  });

  test(`processes that start processes, a Process subclass, os.fork and a python subprocess (${method})`, async () => {
    const r = await traceScript('process_tree.py', [method]);
    assert.equal(r.exitCode, 0, r.stderr);
    const s = r.store;
    const byName = new Map(userProcesses(s).map((p) => [p.name, p]));
    const root = s.processes[0];
    assert.equal(byName.get('subclassed')?.parentPid, root.pid);
    const middle = byName.get('middle');
    assert.equal(middle?.parentPid, root.pid);
    assert.equal(byName.get('grandchild')?.parentPid, middle?.pid);
    const forked = userProcesses(s).find((p) => p.exitCode === 7);
    assert.ok(forked, 'the os.fork child with its os._exit code');
    assert.equal(forked.parentPid, root.pid);
    const sub = userProcesses(s).find((p) => p.argv.includes('-c') && p.argv.some((a) => a.includes('sub python')));
    assert.ok(sub, 'the python started by subprocess is traced');
    assert.equal(sub.parentPid, root.pid);
  });
}

test('asyncio tasks: create, steps and end, with names', async () => {
  const r = await traceScript('asyncio_tasks.py');
  assert.equal(r.exitCode, 0, r.stderr);
  const s = r.store;
  const names = rows(s, 'ASYNC_CREATE').map((i) => s.strings[s.a[i]]);
  for (const n of ['explicit', 'tg-a', 'tg-b']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
  const created = new Set(rows(s, 'ASYNC_CREATE').map((i) => s.obj[i]));
  const ended = rows(s, 'ASYNC_END').filter((i) => created.has(s.obj[i]));
  assert.equal(ended.length, created.size, 'every task ends');
  assert.ok(rows(s, 'ASYNC_RUN').length >= created.size * 2, 'tasks that await run in several steps');
});
