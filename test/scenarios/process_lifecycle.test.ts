import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rows, START_METHODS, traceScript, userProcesses } from './harness';

for (const method of START_METHODS) {
  test(`every way a child ends keeps its events and exit code (${method})`, async () => {
    const r = await traceScript('exit_paths.py', [method]);
    assert.equal(r.exitCode, 5, r.stderr);
    assert.match(r.stdout, /ok 0\nos._exit 3\nraises 1\nsigkill -9\nterminate -15\n/);
    const byName = new Map(userProcesses(r.store).map((p) => [p.name, p]));
    const root = r.store.processes[0];
    assert.equal(root.exitCode, 5);
    for (const [name, code] of [['ok-child', 0], ['os-exit-child', 3], ['raising-child', 1], ['sigkill-child', -9], ['terminated-child', -15]] as const) {
      const p = byName.get(name);
      assert.ok(p, `${name} is in the trace (have ${[...byName.keys()].join(', ')})`);
      assert.equal(p.exitCode, code, `${name} exit code`);
      assert.equal(p.parentPid, root.pid, `${name} parent`);
    }
    // The SIGKILLed child's events up to the kill are there: its Event.set().
    const killed = byName.get('sigkill-child')!;
    assert.ok(r.store.threads.some((t) => t.pid === killed.pid), 'threads of the killed child');
    assert.ok(rows(r.store, 'PROCESS_JOIN').length >= 5);
  });
}
