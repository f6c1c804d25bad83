import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { checkPython } from '../../src/core/run/launcher';
import { chooseInterpreter, interpreterCandidates, resolveCommand, type ProbeResult } from '../../src/core/setup/interpreterChoice';

const posix = process.platform !== 'win32';

function sandbox(): { dir: string; bin: string; exe: (rel: string) => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-interp-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const exe = (rel: string): string => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o755 });
    return file;
  };
  return { dir, bin, exe };
}

const okProbe = (version = '3.11.7') => (command: string): ProbeResult => ({ ok: true, executable: command, version });

test('candidates: our setting, the Python extension, python.defaultInterpreterPath, then PATH', () => {
  const c = interpreterCandidates({ setting: ' ', pythonExtension: { executable: '/venv/bin/python' }, defaultInterpreterPath: 'python' });
  assert.deepEqual(c.map((x) => [x.source, x.value]), [
    ['setting', undefined], ['pythonExtension', '/venv/bin/python'], ['defaultInterpreterPath', 'python'], ['path', 'python3'], ['path', 'python'],
  ]);
  const absent = interpreterCandidates({ pythonExtension: { note: 'Python extension not installed' } });
  assert.equal(absent[1].value, undefined);
  assert.equal(absent[1].note, 'Python extension not installed');
});

test('resolveCommand: bare names on PATH, paths relative to the workspace, variables expanded', { skip: !posix }, () => {
  const s = sandbox();
  const onPath = s.exe('bin/python3');
  const venv = s.exe('ws/.venv/bin/python');
  const ctx = { workspaceFolder: path.join(s.dir, 'ws') };
  assert.equal(resolveCommand('python3', ctx, s.bin), onPath);
  assert.equal(resolveCommand('python', ctx, s.bin), undefined);
  assert.equal(resolveCommand('.venv/bin/python', ctx, s.bin), venv);
  assert.equal(resolveCommand('${workspaceFolder}/.venv/bin/python', ctx, s.bin), venv);
  fs.chmodSync(venv, 0o644);
  assert.equal(resolveCommand(venv, ctx, s.bin), undefined, 'not executable');
  fs.rmSync(s.dir, { recursive: true, force: true });
});

test('chooseInterpreter: the Python extension selection wins when our setting is empty', { skip: !posix }, async () => {
  const s = sandbox();
  const venv = s.exe('venv/bin/python');
  s.exe('bin/python3');
  const choice = await chooseInterpreter(interpreterCandidates({ pythonExtension: { executable: venv }, defaultInterpreterPath: 'python' }), {
    ctx: {}, probe: okProbe(), envPath: s.bin,
  });
  assert.equal(choice.python, venv);
  assert.ok(choice.python && choice.source === 'pythonExtension');
  assert.match(choice.log.join('\n'), /concurrencyTrace\.pythonPath: skipped \(not set\)/);
  assert.match(choice.log.at(-1)!, /Python extension .*: using .*venv\/bin\/python \(Python 3\.11\.7\)/);
  fs.rmSync(s.dir, { recursive: true, force: true });
});

test('chooseInterpreter: falls through missing and unusable candidates to PATH, logging each', { skip: !posix }, async () => {
  const s = sandbox();
  const old = s.exe('old/python');
  const py3 = s.exe('bin/python3');
  const probe = (command: string): ProbeResult => (command === old ? { ok: false, error: 'Python 3.6.9 is too old' } : { ok: true, version: '3.12.1' });
  const choice = await chooseInterpreter(interpreterCandidates({
    setting: '/nowhere/python', pythonExtension: { note: 'Python extension not installed' }, defaultInterpreterPath: old,
  }), { ctx: {}, probe, envPath: s.bin });
  assert.equal(choice.python, py3);
  assert.deepEqual(choice.log, [
    'concurrencyTrace.pythonPath: /nowhere/python not found',
    'Python extension (selected interpreter): skipped (Python extension not installed)',
    `python.defaultInterpreterPath: ${old} not usable (Python 3.6.9 is too old)`,
    `PATH: using ${py3} (Python 3.12.1)`,
  ]);
  fs.rmSync(s.dir, { recursive: true, force: true });
});

test('chooseInterpreter: the same file is probed once; nothing usable gives no python and a full log', { skip: !posix }, async () => {
  const s = sandbox();
  const py = s.exe('bin/python3');
  fs.symlinkSync(py, path.join(s.bin, 'python'));
  let probes = 0;
  const choice = await chooseInterpreter(interpreterCandidates({ defaultInterpreterPath: py }), {
    ctx: {}, envPath: s.bin, probe: () => {
      probes++;
      return { ok: false, error: 'broken' };
    },
  });
  assert.equal(choice.python, undefined);
  assert.equal(probes, 2, 'defaultInterpreterPath and PATH python3 are one file; python (a symlink) is another path');
  assert.equal(choice.log.length, 4);
  fs.rmSync(s.dir, { recursive: true, force: true });
});

test('chooseInterpreter with the real launcher check picks a working python3', { skip: !posix }, async () => {
  const choice = await chooseInterpreter(interpreterCandidates({}), {
    ctx: {}, probe: (c) => {
      const info = checkPython(c);
      return { ok: true, executable: info.executable, version: info.version };
    },
  });
  assert.ok(choice.python, choice.log.join('\n'));
  assert.match((choice as { version: string }).version, /^3\.\d+\.\d+$/);
});
