import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readTrace } from '../../src/core/trace/traceFile';
import { isAutoSavedTrace, listTraces, pruneTraces, saveRunTrace, traceFileName, tracesToPrune } from '../../src/core/trace/traceStorage';
import { TraceStore } from '../../src/core/trace/traceStore';

test('traceFileName: script stem and local time, sortable; safe characters only', () => {
  const when = new Date(2025, 0, 2, 3, 4, 5, 6);
  assert.equal(traceFileName('/x/pool square.py', when), 'pool_square-20250102-030405-006.ctrace');
  assert.equal(traceFileName('run', when), 'run-20250102-030405-006.ctrace');
  assert.ok(isAutoSavedTrace(traceFileName('/a/b.py', when)));
  assert.ok(isAutoSavedTrace('b-20250102-030405-006-2.ctrace'));
  assert.ok(!isAutoSavedTrace('mine.ctrace'));
  assert.ok(!isAutoSavedTrace('b-20250102-030405-006.json'));
});

test('tracesToPrune keeps the newest N auto-saved traces and never touches others', () => {
  const e = (name: string, mtimeMs: number) => ({ name, mtimeMs });
  const entries = [
    e('a-20250101-000000-000.ctrace', 1), e('a-20250101-000000-001.ctrace', 2), e('keep-me.ctrace', 0),
    e('b-20250101-000000-000.ctrace', 3), e('c-20250101-000000-000.ctrace', 4),
  ];
  assert.deepEqual(tracesToPrune(entries, 2).map((x) => x.name), ['a-20250101-000000-001.ctrace', 'a-20250101-000000-000.ctrace']);
  assert.deepEqual(tracesToPrune(entries, 20), []);
  assert.equal(tracesToPrune(entries, 0).length, 3, 'at least the newest one stays');
  // Same mtime: the name (time in it) decides.
  assert.deepEqual(tracesToPrune([e('x-20250101-000000-000.ctrace', 5), e('x-20250101-000000-001.ctrace', 5)], 1).map((x) => x.name), ['x-20250101-000000-000.ctrace']);
});

test('saveRunTrace writes a readable trace into a new folder and prunes to keep', () => {
  const folder = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ct-store-')), 'traces', 'nested');
  const store = new TraceStore();
  store.meta.argv = ['python3', '/s/job.py'];
  const t0 = new Date(2025, 5, 1, 12, 0, 0, 0);
  const saved = [];
  for (let i = 0; i < 5; i++) {
    const s = saveRunTrace(folder, '/s/job.py', store, 3, new Date(t0.getTime() + i * 1000));
    fs.utimesSync(s.file, new Date(t0.getTime() + i * 1000), new Date(t0.getTime() + i * 1000));
    saved.push(s);
  }
  fs.writeFileSync(path.join(folder, 'manual.ctrace'), 'x');
  const again = saveRunTrace(folder, '/s/job.py', store, 3, new Date(t0.getTime() + 4000));
  assert.match(path.basename(again.file), /^job-20250601-120004-000-1\.ctrace$/, 'same instant: a suffix, no overwrite');
  const names = listTraces(folder).map((t) => t.name).sort();
  assert.equal(names.length, 4);
  assert.ok(names.includes('manual.ctrace'));
  assert.ok(!names.includes(path.basename(saved[0].file)));
  assert.deepEqual(readTrace(again.file).meta.argv, ['python3', '/s/job.py']);
  assert.deepEqual(pruneTraces(folder, 1).length, 2);
  assert.deepEqual(listTraces(path.join(folder, 'absent')), []);
  fs.rmSync(path.dirname(path.dirname(folder)), { recursive: true, force: true });
});
