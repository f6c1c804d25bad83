import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TESTED_PYTHONS, pythonSupport } from '../../src/core/setup/pythonSupport';

test('tested versions 3.8–3.15 are traced without a note', () => {
  for (let minor = TESTED_PYTHONS.oldest[1]; minor <= TESTED_PYTHONS.newest[1]; minor++) {
    assert.deepEqual(pythonSupport({ version: `3.${minor}.2` }, {}), { trace: true }, `3.${minor}`);
  }
  assert.deepEqual(TESTED_PYTHONS, { oldest: [3, 8], newest: [3, 15] });
});

test('a version newer than the tested ones is traced, with one line saying it is untested', () => {
  const s = pythonSupport({ version: '3.16.0' }, {});
  assert.equal(s.trace, true);
  assert.equal(s.note, 'Python 3.16.0 is newer than the versions Concurrency Trace is tested with (3.8–3.15): tracing it anyway');
  assert.equal(pythonSupport({ version: '4.0.1' }, {}).trace, true);
});

test('older than 3.8 (and an unreadable version) is refused with the reason', () => {
  assert.deepEqual(pythonSupport({ version: '3.7.16' }, {}), { trace: false, note: 'Python 3.7.16 is too old: Concurrency Trace needs 3.8 or newer' });
  assert.equal(pythonSupport({ version: '2.7.18' }, {}).trace, false);
  assert.equal(pythonSupport({ version: 'x' }, {}).trace, false);
});

test('a free-threaded build is refused unless PYTHON_GIL=1 turns its GIL on, then traced with a note', () => {
  const off = pythonSupport({ version: '3.14.0', freeThreaded: true }, {});
  assert.equal(off.trace, false);
  assert.match(off.note ?? '', /free-threaded build: Concurrency Trace needs the GIL .* set PYTHON_GIL=1/);
  assert.equal(pythonSupport({ version: '3.14.0', freeThreaded: true }, { PYTHON_GIL: '0' }).trace, false);
  const on = pythonSupport({ version: '3.14.0', freeThreaded: true }, { PYTHON_GIL: '1' });
  assert.equal(on.trace, true);
  assert.match(on.note ?? '', /free-threaded build, traced with the GIL enabled .*not tested/);
  assert.equal(pythonSupport({ version: '3.14.0', freeThreaded: false }, {}).note, undefined);
});
