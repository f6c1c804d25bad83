/**
 * Manager proxy calls in one run (a Manager() server process): each call in
 * the parent or the child is paired with its handler in the manager's
 * process, drawn as request and reply arrows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeFlows } from '../../src/core/analysis/flows';
import { K } from '../../src/core/recordKinds';
import { START_METHODS, traceScript } from './harness';

for (const method of START_METHODS) {
  test(`every Manager proxy call flows to its handler in the manager's process and back (${method})`, async () => {
    const r = await traceScript('manager_calls.py', [method]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'total 30 seen 5\n');
    const s = r.store;
    const calls = s.rowsOf(K.PROXY_CALL);
    const serves = new Set(s.rowsOf(K.PROXY_SERVE));
    const methodOf = (row: number): string => s.strings[s.a[row]] ?? '';
    // Parent: 6 puts, 5 gets, len(); child: 6 gets, 5 appends, 5 puts.
    const byMethod = new Map<string, number>();
    for (const c of calls) byMethod.set(methodOf(c), (byMethod.get(methodOf(c)) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries([...byMethod].sort()), { __len__: 1, append: 5, get: 11, put: 11 });
    const pidOf = (row: number): number => s.threads[s.thread[row]].pid;
    const server = s.processes.find((p) => [...serves].some((h) => pidOf(h) === p.pid));
    assert.ok(server, 'no handler recorded');
    const flows = computeFlows(s).filter((f) => s.kind[f.from] === K.PROXY_CALL || s.kind[f.from] === K.PROXY_SERVE);
    assert.equal(flows.length, 2 * calls.length);
    for (const c of calls) {
      const out = flows.find((f) => f.from === c);
      assert.ok(out && serves.has(out.to), `call ${methodOf(c)} at row ${c} has no handler`);
      assert.equal(pidOf(out.to), server.pid);
      assert.notEqual(pidOf(c), server.pid);
      assert.equal(methodOf(out.to), methodOf(c));
      const back = flows.find((f) => f.from === out.to);
      assert.ok(back && back.to === c, 'the reply goes back to the caller');
      // One clock: the handler runs inside the call.
      assert.ok(s.ts[c] <= s.ts[out.to] && s.end[out.to] <= s.end[c]);
    }
  });
}
