import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { findTests, isTestFileName, pytestNodeId, testAt } from '../../src/core/setup/pytestTarget';

const SOURCE = `"""Tests.

def test_in_docstring():
    not a test: inside the module's docstring
"""
import pytest

HELPER = """
class TestInString:
    def test_no(self): pass
"""


def helper():
    def test_inner():  # inside a function: not collected
        pass
    return 1


@pytest.mark.parametrize(
    "n",
    [1, 2,
3],  # a continuation line further left than the def
)
def test_square(n):
    x = (n *
n)
    assert x >= 0

    # a comment between statements

    assert helper() == 1


async def test_async():
    pass


class TestAccount:
    value = 1

    def setup_method(self):
        self.v = 0

    def test_deposit(self):
        s = '''
def test_fake():
'''
        assert s

    class TestNested:
        def test_deep(self):
            pass

    @staticmethod
    def testing_prefix_counts():
        pass


class Helper:
    def test_not_collected(self):
        pass


def test_last():
\tpass
`;

const lines = SOURCE.split('\n');
const lineOf = (needle: string): number => {
  const i = lines.findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, needle);
  return i;
};

test('findTests lists what pytest collects by default: module functions, Test classes, their methods and nested Test classes', () => {
  const found = findTests(SOURCE).map((t) => `${t.kind} ${t.names.join('::')}`);
  assert.deepEqual(found, [
    'function test_square',
    'function test_async',
    'class TestAccount',
    'function TestAccount::test_deposit',
    'class TestAccount::TestNested',
    'function TestAccount::TestNested::test_deep',
    'function TestAccount::testing_prefix_counts',
    'function test_last',
  ]);
});

test('findTests: a test spans its decorators, continuation lines and blank lines inside it, up to its last statement', () => {
  const sq = findTests(SOURCE).find((t) => t.names[0] === 'test_square')!;
  assert.equal(sq.startLine, lineOf('@pytest.mark.parametrize'));
  assert.equal(sq.line, lineOf('def test_square'));
  assert.equal(sq.endLine, lineOf('assert helper() == 1'));
  const deposit = findTests(SOURCE).find((t) => t.names.at(-1) === 'test_deposit')!;
  assert.equal(deposit.endLine, lineOf('        assert s'), 'the triple-quoted string with a def in it is part of the body');
});

test('testAt gives the innermost test at a line, the class between its methods, and nothing outside tests', () => {
  const tests = findTests(SOURCE);
  const at = (needle: string, offset = 0): string | undefined => testAt(tests, lineOf(needle) + offset)?.names.join('::');
  assert.equal(at('"n",'), 'test_square', 'on a decorator argument');
  assert.equal(at('3],'), 'test_square', 'on a continuation line further left than the def');
  assert.equal(at('# a comment between statements'), 'test_square');
  assert.equal(at('def test_fake'), 'TestAccount::test_deposit', 'inside a string in a test');
  assert.equal(at('def test_deep'), 'TestAccount::TestNested::test_deep');
  assert.equal(at('value = 1'), 'TestAccount', 'in the class, outside its methods');
  assert.equal(at('self.v = 0'), 'TestAccount', 'in a method that is not a test: its class');
  assert.equal(at('def test_not_collected'), undefined, 'a method of a class pytest does not collect');
  assert.equal(at('def test_inner'), undefined, 'a def inside a function');
  assert.equal(at('def test_in_docstring'), undefined, 'text in the module docstring');
  assert.equal(at('def test_no(self)'), undefined, 'text in a module-level string');
  assert.equal(at('import pytest'), undefined);
  assert.equal(testAt(tests, lines.length - 2)?.names.join('::'), 'test_last', 'a tab-indented body');
});

test('isTestFileName follows pytest\'s default python_files', () => {
  assert.ok(isTestFileName('/w/tests/test_bank.py'));
  assert.ok(isTestFileName('bank_test.py'));
  assert.ok(!isTestFileName('bank.py'));
  assert.ok(!isTestFileName('testbank.py'));
  assert.ok(!isTestFileName('_test.py'));
  assert.ok(!isTestFileName('test_bank.pyc'));
});

test('pytestNodeId is relative to the working directory when the file is inside it, else absolute', () => {
  const ws = path.join(path.sep, 'w');
  assert.equal(pytestNodeId(path.join(ws, 'tests', 'test_a.py'), ws, ['TestX', 'test_y']), 'tests/test_a.py::TestX::test_y');
  assert.equal(pytestNodeId(path.join(path.sep, 'elsewhere', 'test_a.py'), ws, ['test_y']), `${path.join(path.sep, 'elsewhere', 'test_a.py')}::test_y`);
  assert.equal(pytestNodeId(path.join(ws, 'test_a.py'), ws, []), 'test_a.py', 'no names: the whole file');
});

/** An interpreter with pytest (Debian's python3 has it), else none: that test is skipped. */
const PYTEST_PYTHON = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import pytest'], { stdio: 'ignore' }).status === 0);

test('findTests agrees with pytest --collect-only on the same file', { skip: !PYTEST_PYTHON && 'no Python with pytest' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-pytest-'));
  try {
    fs.writeFileSync(path.join(dir, 'test_sample.py'), SOURCE);
    const r = spawnSync(PYTEST_PYTHON!, ['-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider', 'test_sample.py'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const collected = [...new Set(r.stdout.split('\n').filter((l) => l.startsWith('test_sample.py::')).map((l) => l.replace(/\[.*\]$/, '')))];
    const ours = findTests(SOURCE).filter((t) => t.kind === 'function').map((t) => pytestNodeId(path.join(dir, 'test_sample.py'), dir, t.names));
    assert.deepEqual(ours, collected);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
