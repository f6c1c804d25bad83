import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { InterpreterCache, selectionFingerprint } from '../../src/core/setup/interpreterCache';
import { LaunchError, checkPython } from '../../src/core/run/launcher';
import { cacheDirPath, privateCacheDir, readCacheFile } from '../../src/core/setup/privateCache';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-icache-'));
const PYENV = '/root/.pyenv/versions';
const has = (v: string): boolean => fs.existsSync(path.join(PYENV, v, 'bin', 'python'));

/** A fresh private cache folder (through XDG_CACHE_HOME) for one test. */
function freshCache(name: string): { dir: string; cache: InterpreterCache; env: NodeJS.ProcessEnv } {
  const env = { ...process.env, XDG_CACHE_HOME: path.join(root, name) };
  const dir = privateCacheDir(env)!;
  return { dir, cache: new InterpreterCache(dir), env };
}

/** A fake interpreter: a script that answers the version check as `version`, naming itself as sys.executable. */
function fakePython(file: string, version: string): void {
  fs.writeFileSync(file, `#!/bin/sh\necho ${file}\necho ${version}\necho cpython-${version.split('.').slice(0, 2).join('')}\n`, { mode: 0o755 });
}

test('the cache folder is private: created 0700 under XDG_CACHE_HOME, tightened if too open', () => {
  const env = { ...process.env, XDG_CACHE_HOME: path.join(root, 'xdg') };
  const dir = privateCacheDir(env)!;
  assert.equal(dir, path.join(root, 'xdg', 'concurrency-trace'));
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  fs.chmodSync(dir, 0o777);
  assert.equal(privateCacheDir(env), dir);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  // A relative XDG_CACHE_HOME is invalid (XDG spec): ~/.cache instead.
  assert.equal(cacheDirPath({ XDG_CACHE_HOME: 'rel', HOME: '/home/u' }), '/home/u/.cache/concurrency-trace');
});

test('a planted symlink in place of the cache folder is not used', () => {
  const base = path.join(root, 'planted');
  fs.mkdirSync(base);
  fs.mkdirSync(path.join(root, 'elsewhere'));
  fs.symlinkSync(path.join(root, 'elsewhere'), path.join(base, 'concurrency-trace'));
  assert.equal(privateCacheDir({ ...process.env, XDG_CACHE_HOME: base }), undefined);
});

test('a planted symlink as the cache file is neither read nor written through', () => {
  const { dir, cache } = freshCache('symlinkfile');
  const victim = path.join(root, 'victim.json');
  fs.writeFileSync(victim, JSON.stringify({ format: 1, entries: {} }));
  fs.symlinkSync(victim, path.join(dir, 'pythons.json'));
  assert.equal(readCacheFile(dir, 'pythons.json'), undefined);
  const py = path.join(root, 'py-symlinkfile');
  fakePython(py, '3.11.9');
  assert.ok(cache.remember(py, { executable: py, version: '3.11.9' }));
  assert.equal(fs.readFileSync(victim, 'utf8'), JSON.stringify({ format: 1, entries: {} }), 'the symlink target is untouched');
  assert.ok(fs.lstatSync(path.join(dir, 'pythons.json')).isFile());
  assert.equal(fs.statSync(path.join(dir, 'pythons.json')).mode & 0o777, 0o600);
});

test('the check is written to the cache on first use and read back (a missing file is no reason to skip it)', () => {
  const { dir, cache } = freshCache('first');
  const py = path.join(root, 'py-first');
  fakePython(py, '3.11.9');
  assert.ok(!fs.existsSync(path.join(dir, 'pythons.json')));
  const info = checkPython(py, cache);
  assert.equal(info.version, '3.11.9');
  assert.ok(fs.existsSync(path.join(dir, 'pythons.json')));
  assert.deepEqual(cache.lookup(py), info);
});

test('a cached answer is used only while the interpreter file is unchanged', () => {
  const { cache } = freshCache('identity');
  const py = path.join(root, 'py-identity');
  fakePython(py, '3.11.9');
  checkPython(py, cache);
  // Replaced by an old Python at the same path: asked again, and refused.
  fakePython(py, '3.6.15');
  assert.equal(cache.lookup(py), undefined);
  assert.throws(() => checkPython(py, cache), /3\.6\.15 .* too old/);
});

test('cache content is validated: a planted entry with a bad version or path is ignored', () => {
  const { dir, cache } = freshCache('content');
  const py = path.join(root, 'py-content');
  fakePython(py, '3.6.15');
  const st = fs.statSync(py);
  const id = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, usedAt: 1 };
  for (const facts of [{ executable: py, version: '3.12' }, { executable: 'relative', version: '3.12.0' }, { executable: py, version: '3.12.0', cacheTag: '../x' }]) {
    fs.writeFileSync(path.join(dir, 'pythons.json'), JSON.stringify({ format: 2, entries: { [py]: { ...id, facts: { freeThreaded: false, ...facts } } } }), { mode: 0o600 });
    assert.equal(cache.lookup(py), undefined, JSON.stringify(facts));
  }
  fs.writeFileSync(path.join(dir, 'pythons.json'), '{not json', { mode: 0o600 });
  assert.throws(() => checkPython(py, cache), /too old/);
});

test('a cache file writable by others is not trusted', () => {
  const { dir, cache } = freshCache('loose');
  const py = path.join(root, 'py-loose');
  fakePython(py, '3.6.15');
  const st = fs.statSync(py);
  const entry = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, usedAt: 1, facts: { executable: py, version: '3.12.0', freeThreaded: false } };
  fs.writeFileSync(path.join(dir, 'pythons.json'), JSON.stringify({ format: 2, entries: { [py]: entry } }));
  fs.chmodSync(path.join(dir, 'pythons.json'), 0o666);
  assert.equal(cache.lookup(py), undefined);
  fs.chmodSync(path.join(dir, 'pythons.json'), 0o600);
  assert.equal(cache.lookup(py)?.version, '3.12.0', 'the same content, private, is used');
});

test('a pyenv-like shim that switches interpreters is checked again when its selection changes', { skip: !(has('3.11.7') && has('3.6.15')) }, () => {
  const { cache } = freshCache('shim');
  const shim = path.join(root, 'python-shim');
  // Like pyenv's shims: one path, the interpreter chosen by PYENV_VERSION or a .python-version file.
  fs.writeFileSync(shim, `#!/bin/sh
v="$PYENV_VERSION"
[ -z "$v" ] && [ -f .python-version ] && v=$(cat .python-version)
exec ${PYENV}/\${v:-3.11.7}/bin/python "$@"
`, { mode: 0o755 });
  const saved = { env: process.env.PYENV_VERSION, cwd: process.cwd() };
  const work = fs.mkdtempSync(path.join(root, 'proj-'));
  try {
    process.chdir(work);
    process.env.PYENV_VERSION = '3.11.7';
    assert.equal(checkPython(shim, cache).version, '3.11.7');
    assert.equal(cache.lookup(shim)?.version, '3.11.7', 'cached for this selection');
    process.env.PYENV_VERSION = '3.6.15';
    assert.equal(cache.lookup(shim), undefined);
    assert.throws(() => checkPython(shim, cache), (e: unknown) => e instanceof LaunchError && /3\.6\.15 .* too old/.test(e.message));
    delete process.env.PYENV_VERSION;
    const before = selectionFingerprint();
    fs.writeFileSync('.python-version', '3.6.15\n');
    assert.notEqual(selectionFingerprint(), before);
    assert.throws(() => checkPython(shim, cache), /too old/);
    fs.writeFileSync('.python-version', '3.11.7\n');
    assert.equal(checkPython(shim, cache).version, '3.11.7');
  } finally {
    process.chdir(saved.cwd);
    if (saved.env === undefined) delete process.env.PYENV_VERSION;
    else process.env.PYENV_VERSION = saved.env;
  }
});

test('something that is not a Python interpreter is named as such, not an internal error', () => {
  const { cache } = freshCache('nonpython');
  assert.throws(() => checkPython('/bin/true', cache), (e: unknown) => e instanceof LaunchError && /\/bin\/true .*is it a Python interpreter\?/.test(e.message));
  assert.throws(() => checkPython('/bin/false', cache), (e: unknown) => e instanceof LaunchError && /\/bin\/false/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => checkPython('/bin/echo', cache), LaunchError);
});
