import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeFlows } from '../../src/core/analysis/flows';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';

function store(): TraceStore {
  const s = new TraceStore();
  for (const pid of [1, 2]) {
    const p = s.addProcess({ pid, ppid: 0, parentPid: pid === 2 ? 1 : 0, name: `p${pid}`, argv: [], python: '', startTs: 0, endTs: 100,
      exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread: -1 });
    const t = s.addThread({ process: p.index, pid, ident: 10 + pid, nativeId: pid, name: 'Main', startTs: 0, endTs: 100, daemon: false, internal: false, main: true, exception: null });
    p.mainThread = t.index;
  }
  return s;
}

const kinds = (s: TraceStore): string[] => computeFlows(s).map((f) => `${f.kind}:${f.from}->${f.to}`).sort();

test('an in-process put pairs with the get that reports its message id', () => {
  const s = store();
  const put = s.push(K.QUEUE_PUT, 1, 2, 0, 500, -1, 77, 0);
  s.push(K.QUEUE_PUT, 3, 4, 0, 500, -1, 78, 0);
  const get = s.push(K.QUEUE_GET, 0.5, 5, 0, 500, -1, 77, 0);
  assert.deepEqual(kinds(s), [`queue:${put}->${get}`]);
});

test('a multiprocessing queue pairs put -> feeder send -> get by content key, oldest first', () => {
  const s = store();
  const ch = 2 ** 52 + 5;
  const put1 = s.push(K.QUEUE_PUT, 1, 1, 0, ch, -1, 900, 0);
  const put2 = s.push(K.QUEUE_PUT, 2, 2, 0, ch, -1, 901, 0);
  const send1 = s.push(K.PIPE_SEND, 3, 3, 0, ch, -1, 4242, 900);
  const send2 = s.push(K.PIPE_SEND, 4, 4, 0, ch, -1, 4242, 901); // same bytes twice
  const recv1 = s.push(K.PIPE_RECV, 5, 5, 1, ch, -1, 4242, 0);
  const get1 = s.push(K.QUEUE_GET, 5, 6, 1, ch, -1, 4242, 2);
  const recv2 = s.push(K.PIPE_RECV, 7, 7, 1, ch, -1, 4242, 0);
  const get2 = s.push(K.QUEUE_GET, 7, 8, 1, ch, -1, 4242, 2);
  assert.deepEqual(kinds(s), [`pipe:${send1}->${recv1}`, `pipe:${send2}->${recv2}`, `queue:${put1}->${get1}`, `queue:${put2}->${get2}`].sort());
});

test('a duplex Pipe() receive pairs with a send on the other end', () => {
  const s = store();
  s.push(K.PIPE_OPEN, 0, 0, 0, 1234, -1, 111, 222);
  const send = s.push(K.PIPE_SEND, 1, 1, 0, 111, -1, 99, 0);
  const recv = s.push(K.PIPE_RECV, 2, 3, 1, 222, -1, 99, 0);
  s.push(K.PIPE_RECV, 4, 5, 1, 111, -1, 99, 0); // nothing was sent towards this end
  assert.deepEqual(kinds(s), [`pipe:${send}->${recv}`]);
});

test('a task links submit -> run -> result, and a spawn links to the child start', () => {
  const s = store();
  const spawn = s.push(K.PROCESS_SPAWN, 0, 1, 0, 2, -1, 0, 0);
  const start = s.push(K.PROCESS_START, 1, 1, 1, 2, -1, 1, 0);
  const submit = s.push(K.TASK_SUBMIT, 2, 2, 0, 55, -1, 0, 0);
  const run = s.push(K.TASK_RUN, 3, 4, 1, 55, -1, 0, 0);
  const result = s.push(K.TASK_RESULT, 5, 5, 0, 55, -1, 1, 0);
  assert.deepEqual(kinds(s), [`spawn:${spawn}->${start}`, `task:${run}->${result}`, `task:${submit}->${run}`].sort());
});

test('an asyncio task awaited by another links its end to the end of that wait', () => {
  const s = store();
  const waiter = 2 ** 30 + 1;
  const awaited = 2 ** 30 + 2;
  const end = s.push(K.ASYNC_END, 5, 5, 0, awaited, -1, 1, 0);
  const wait = s.push(K.ASYNC_WAIT, 1, 6, 0, waiter, -1, awaited, 3);
  s.push(K.ASYNC_WAIT, 1, 6, 0, waiter, -1, awaited, 1); // a sleep: a is not a task
  s.push(K.ASYNC_WAIT, 7, Number.NaN, 0, waiter, -1, awaited, 3); // still waiting
  assert.deepEqual(kinds(s), [`task:${end}->${wait}`]);
});
