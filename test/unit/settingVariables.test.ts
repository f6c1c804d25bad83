import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { expandVariables, resolvePathSetting } from '../../src/core/setup/settingVariables';

const ctx = { workspaceFolder: '/ws/proj', file: '/ws/proj/pkg/main.py', home: '/home/u', env: { VENV: '/opt/v' } };

test('expandVariables knows the launch.json variables and leaves unknown ones as written', () => {
  assert.equal(expandVariables('${workspaceFolder}/.venv', ctx), '/ws/proj/.venv');
  assert.equal(expandVariables('${workspaceFolderBasename}', ctx), 'proj');
  assert.equal(expandVariables('${fileDirname}|${fileBasename}|${fileBasenameNoExtension}', ctx), '/ws/proj/pkg|main.py|main');
  assert.equal(expandVariables('${env:VENV}/bin/python', ctx), '/opt/v/bin/python');
  assert.equal(expandVariables('${env:NOPE}x', ctx), 'x');
  assert.equal(expandVariables('~/py', ctx), '/home/u/py');
  assert.equal(expandVariables('${config:python.x}', ctx), '${config:python.x}');
  assert.equal(expandVariables('${workspaceFolder}', { home: '/h' }), '${workspaceFolder}');
});

test('resolvePathSetting: relative to the workspace folder, else the file', () => {
  assert.equal(resolvePathSetting('out', ctx), path.resolve('/ws/proj/out'));
  assert.equal(resolvePathSetting('  ${fileDirname}/data ', ctx), path.resolve('/ws/proj/pkg/data'));
  assert.equal(resolvePathSetting('rel', { file: '/a/b/c.py' }), path.resolve('/a/b/rel'));
});
