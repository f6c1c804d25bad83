import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { ArgumentsError, MAX_REMEMBERED, RememberedRuns, formatArgs, parseArgs, resolveRunArguments, type KeyValueState } from '../../src/core/run/runArguments';

class MapState implements KeyValueState {
  readonly map = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    // As a Memento: values come back as stored JSON, never the same object.
    const v = this.map.get(key);
    return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as T);
  }
  update(key: string, value: unknown): Promise<void> {
    this.map.set(key, JSON.parse(JSON.stringify(value)));
    return Promise.resolve();
  }
}

test('parseArgs splits like a POSIX shell', () => {
  assert.deepEqual(parseArgs(''), []);
  assert.deepEqual(parseArgs('  -n 4   --name x '), ['-n', '4', '--name', 'x']);
  assert.deepEqual(parseArgs(`'a b' "c \\"d\\"" e\\ f ''`), ['a b', 'c "d"', 'e f', '']);
  assert.deepEqual(parseArgs(`"it's" 'say "hi"' x"y"z`), ["it's", 'say "hi"', 'xyz']);
  assert.deepEqual(parseArgs('"a\\nb" $HOME'), ['a\\nb', '$HOME'], 'no expansion, backslash kept before other characters');
  assert.throws(() => parseArgs(`'open`), ArgumentsError);
  assert.throws(() => parseArgs('"open'), /unclosed "/);
});

test('formatArgs quotes what needs it and round-trips through parseArgs', () => {
  const argv = ['plain', '--opt=1', 'two words', '', "it's", 'a"b', '$x', 'ünï'];
  assert.equal(formatArgs(['plain', '--opt=1', '/a/b.txt']), 'plain --opt=1 /a/b.txt');
  assert.deepEqual(parseArgs(formatArgs(argv)), argv);
});

test('RememberedRuns keeps one answer per file, survives a reload, and forgets the oldest beyond the cap', async () => {
  const state = new MapState();
  const runs = new RememberedRuns(state);
  assert.equal(runs.get('/a.py'), undefined);
  await runs.set('/a.py', { args: ['1'], cwd: '${workspaceFolder}/data' });
  await runs.set('/b.py', { args: [] });
  const again = new RememberedRuns(state);
  assert.deepEqual(again.get('/a.py'), { args: ['1'], cwd: '${workspaceFolder}/data' });
  assert.deepEqual(again.get('/b.py'), { args: [] });
  await again.forget('/a.py');
  assert.equal(runs.get('/a.py'), undefined);
  for (let i = 0; i < MAX_REMEMBERED + 5; i++) await runs.set(`/f${i}.py`, { args: [String(i)] });
  await runs.set('/f2.py', { args: ['again'] }); // refreshed: now the newest
  assert.equal(runs.get('/b.py'), undefined, 'oldest dropped');
  assert.equal(runs.get('/f5.py'), undefined);
  assert.deepEqual(runs.get('/f2.py'), { args: ['again'] });
  assert.deepEqual(runs.get(`/f${MAX_REMEMBERED + 4}.py`), { args: [String(MAX_REMEMBERED + 4)] });
  assert.equal(Object.keys(state.get<object>('concurrencyTrace.runArguments')!).length, MAX_REMEMBERED);
});

test('resolveRunArguments: remembered answer > settings > defaults', () => {
  const file = '/ws/proj/pkg/main.py';
  const ctx = { workspaceFolder: '/ws/proj' };
  assert.deepEqual(resolveRunArguments(file, {}, undefined, ctx), { args: [], cwd: '/ws/proj', from: 'default' });
  assert.deepEqual(resolveRunArguments(file, {}, undefined, {}), { args: [], cwd: '/ws/proj/pkg', from: 'default' });
  assert.deepEqual(resolveRunArguments(file, { args: ['-v'], cwd: '${fileDirname}' }, undefined, ctx), { args: ['-v'], cwd: path.resolve('/ws/proj/pkg'), from: 'settings' });
  assert.deepEqual(resolveRunArguments(file, { cwd: 'data' }, undefined, ctx), { args: [], cwd: path.resolve('/ws/proj/data'), from: 'settings' });
  assert.deepEqual(resolveRunArguments(file, { args: ['-v'], cwd: '/tmp' }, { args: ['x'] }, ctx), { args: ['x'], cwd: path.resolve('/tmp'), from: 'remembered' },
    'a remembered answer without a cwd keeps the setting\'s');
  assert.deepEqual(resolveRunArguments(file, { args: ['-v'] }, { args: [], cwd: 'sub' }, ctx), { args: [], cwd: path.resolve('/ws/proj/sub'), from: 'remembered' });
});
