import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { RECORD_KINDS } from '../../src/core/trace/recordKinds';

test('the TypeScript record table lists exactly the kinds of events.py with the same numbers', () => {
  const py = fs.readFileSync(path.join(__dirname, '../../src/runtime/concurrency_trace/events.py'), 'utf8');
  const fromPython = new Map<string, number>();
  for (const m of py.matchAll(/^([A-Z_]+) = (\d+)/gm)) fromPython.set(m[1], Number(m[2]));
  const fromTs = new Map(RECORD_KINDS.map((k) => [k.record, k.code]));
  assert.deepEqual([...fromTs.entries()].sort(), [...fromPython.entries()].sort());
});

test('record codes are unique', () => {
  const codes = RECORD_KINDS.map((k) => k.code);
  assert.equal(new Set(codes).size, codes.length);
});
