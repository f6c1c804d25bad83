import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { staleCompiled } from '../../src/core/run/launcher';

const PYTHON = process.env.CONCURRENCY_TRACE_TEST_PYTHON || 'python3';

test('a compiled runtime module is stale exactly when the interpreter would compile its source again', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-precompile-'));
  const file = path.join(dir, 'mod.py');
  fs.writeFileSync(file, 'x = 1\n');
  const tag = execFileSync(PYTHON, ['-c', 'import sys; print(sys.implementation.cache_tag)'], { encoding: 'utf8' }).trim();
  const compile = (): void => {
    execFileSync(PYTHON, ['-E', '-c', 'import py_compile, sys; py_compile.compile(sys.argv[1], doraise=True)', file]);
  };
  assert.equal(staleCompiled(file, tag), true, 'no compiled file');
  compile();
  assert.equal(staleCompiled(file, tag), false, 'just compiled');
  // The source edited later (another size, a later second): stale until compiled again.
  const later = new Date(Date.now() + 5000);
  fs.writeFileSync(file, 'x = 22\n');
  fs.utimesSync(file, later, later);
  assert.equal(staleCompiled(file, tag), true, 'source changed');
  compile();
  assert.equal(staleCompiled(file, tag), false, 'compiled again');
  // A compiled file older than its source whose header still matches it (copied, touched): not stale.
  const pyc = path.join(dir, '__pycache__', `mod.${tag}.pyc`);
  const earlier = new Date(Date.now() - 60000);
  fs.utimesSync(pyc, earlier, earlier);
  assert.equal(staleCompiled(file, tag), false, 'header matches the source');
  fs.rmSync(dir, { recursive: true, force: true });
});
