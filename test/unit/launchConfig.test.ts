import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { CURRENT_FILE_NAME, LAUNCH_TYPE, LaunchConfigError, applyLaunchEnv, resolveLaunch, withDefaults, type LaunchContext } from '../../src/core/setup/launchConfig';

const WS = path.join(path.sep, 'ws');
const ACTIVE = path.join(WS, 'pkg', 'main.py');
const ctx: LaunchContext = { workspaceFolder: WS, activeFile: ACTIVE, env: { HOME_DATA: '/data' }, home: '/home/u' };

test('F5 without a launch.json (an empty configuration) runs the Python file in the active editor', () => {
  const c = withDefaults({}, ctx);
  assert.deepEqual(c, { type: LAUNCH_TYPE, request: 'launch', name: CURRENT_FILE_NAME, program: ACTIVE, internalConsoleOptions: 'neverOpen' });
  const r = resolveLaunch(c, ctx);
  assert.equal(r.program, ACTIVE);
  assert.equal(r.cwd, WS, 'the workspace folder by default');
  assert.deepEqual(r.args, []);
  assert.equal(r.python, undefined, 'the interpreter chain decides');
});

test('F5 without a launch.json and no Python file open: an error that says what to do', () => {
  assert.throws(() => withDefaults({}, { workspaceFolder: WS }), (e: Error) => e instanceof LaunchConfigError && /Open a Python file/.test(e.message) && /"program" or "module"/.test(e.message));
  assert.throws(() => withDefaults({ type: LAUNCH_TYPE, request: 'launch', name: 'mine' }, { workspaceFolder: WS }), /"mine" names no "program" or "module"/);
});

test('a configuration keeps its program or module; only one without either gets the active file; the Debug Console stays closed unless asked', () => {
  assert.equal(withDefaults({ type: LAUNCH_TYPE, name: 'm', module: 'pkg.app' }, ctx).program, undefined);
  assert.equal(withDefaults({ type: LAUNCH_TYPE, name: 'p', program: '${workspaceFolder}/a.py' }, ctx).program, '${workspaceFolder}/a.py');
  assert.equal(withDefaults({ type: LAUNCH_TYPE, name: 'n' }, ctx).program, ACTIVE);
  assert.equal(withDefaults({ type: LAUNCH_TYPE, name: 'n', internalConsoleOptions: 'openOnSessionStart' }, ctx).internalConsoleOptions, 'openOnSessionStart');
});

test('paths: cwd relative to the workspace folder, program relative to cwd; variables VS Code left are expanded', () => {
  const r = resolveLaunch({ name: 'x', program: 'run.py', cwd: 'sub', args: ['${env:HOME_DATA}/in.csv', '~'], python: '~/venv/bin/python' }, ctx);
  assert.equal(r.cwd, path.join(WS, 'sub'));
  assert.equal(r.program, path.join(WS, 'sub', 'run.py'));
  assert.equal(r.python, '/home/u/venv/bin/python');
  assert.deepEqual(r.args, ['${env:HOME_DATA}/in.csv', '~'], 'arguments are passed as written (VS Code substitutes them)');
  assert.equal(resolveLaunch({ name: 'x', program: '${fileDirname}/main.py', cwd: '${workspaceFolder}/..' }, ctx).program, ACTIVE);
  assert.equal(resolveLaunch({ name: 'x', program: '${fileDirname}/main.py', cwd: '${workspaceFolder}/..' }, ctx).cwd, path.sep);
});

test('without a workspace folder the program\'s folder is the working directory; a module then runs in the active file\'s folder, else home', () => {
  const noWs: LaunchContext = { activeFile: ACTIVE, home: '/home/u' };
  assert.equal(resolveLaunch({ program: '/tmp/s/a.py' }, noWs).cwd, '/tmp/s');
  assert.equal(resolveLaunch({ module: 'http.server' }, noWs).cwd, path.dirname(ACTIVE));
  assert.equal(resolveLaunch({ module: 'http.server' }, { home: '/home/u' }).cwd, '/home/u');
});

test('a module run keeps the module name and its arguments', () => {
  const r = resolveLaunch({ name: 'tests', module: 'pytest', args: ['tests/test_a.py::test_b', '-x', '-q'] }, ctx);
  assert.equal(r.module, 'pytest');
  assert.equal(r.program, undefined);
  assert.deepEqual(r.args, ['tests/test_a.py::test_b', '-x', '-q']);
  assert.equal(r.name, 'tests');
});

test('args as one string are split as a shell would (the Python debugger\'s ${command:pickArgs} gives one string); numbers become strings', () => {
  assert.deepEqual(resolveLaunch({ program: 'a.py', args: `-n 4 'two words' "x y"` }, ctx).args, ['-n', '4', 'two words', 'x y']);
  assert.deepEqual(resolveLaunch({ program: 'a.py', args: [1, true, 'z'] }, ctx).args, ['1', 'true', 'z']);
});

test('env: strings set, numbers become strings, null removes; applied over the base environment', () => {
  const r = resolveLaunch({ program: 'a.py', env: { A: 'x', N: 3, GONE: null } }, ctx);
  assert.deepEqual(r.env, { A: 'x', N: '3', GONE: null });
  assert.deepEqual(applyLaunchEnv({ A: 'old', GONE: 'here', KEEP: 'k' }, r.env), { A: 'x', N: '3', KEEP: 'k' });
});

test('errors name the configuration and the attribute', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ name: 'c', program: 'a.py', module: 'm' }, /launch configuration "c": give "program" or "module", not both/],
    [{ name: 'c' }, /give "program" \(a Python file\) or "module"/],
    [{ name: 'c', program: '   ' }, /"program" is empty/],
    [{ name: 'c', program: 5 }, /"program" must be a string/],
    [{ name: 'c', module: '-m pytest' }, /"module" must be a module name/],
    [{ name: 'c', module: 'py test' }, /"module" must be a module name/],
    [{ name: 'c', program: 'a.py', args: { x: 1 } }, /"args" must be a list of strings/],
    [{ name: 'c', program: 'a.py', args: ['ok', { x: 1 }] }, /"args"\[1\] must be a string/],
    [{ name: 'c', program: 'a.py', args: `'unclosed` }, /"args": unclosed ' in arguments/],
    [{ name: 'c', program: 'a.py', env: ['A=1'] }, /"env" must be an object/],
    [{ name: 'c', program: 'a.py', env: { A: { b: 1 } } }, /"env"\."A" must be a string/],
    [{ name: 'c', program: 'a.py', env: { 'A=B': 'x' } }, /invalid variable name "A=B"/],
    [{ name: 'c', program: 'a.py', python: ['python3'] }, /"python" must be a string/],
    [{ name: 'c', program: 'a.py', cwd: 3 }, /"cwd" must be a string/],
    [{ name: 'c', request: 'attach', program: 'a.py' }, /"request": "attach" is not supported/],
  ];
  for (const [config, message] of bad) assert.throws(() => resolveLaunch(config, ctx), (e: Error) => e instanceof LaunchConfigError && message.test(e.message), JSON.stringify(config));
});
