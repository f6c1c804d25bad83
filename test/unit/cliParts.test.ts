/** Pieces of the CLI that decide from what they are given: flags, start-up state, terminal-safe text. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { UsageError, parseFlags } from '../../src/cli/flags';
import { inheritedDescriptors, terminalPosition } from '../../src/cli/startupState';
import { jsonSafe, terminalSafe, terminalSafeLines, withSafeStrings } from '../../src/core/export/terminalText';

const RUN = { withValue: ['--python', '--out', '--html'], switches: [], terminal: ['-m', '-c'], stopAtPositional: true };

test('run flags: -m and -c take a value and end option parsing, as in python', () => {
  assert.deepEqual(parseFlags(['--out', 'x.ctrace', '-m', 'pytest', '-q', '--out', 'y'], RUN), {
    values: new Map([['--out', 'x.ctrace'], ['-m', 'pytest']]), switches: new Set(), rest: ['-q', '--out', 'y'],
  });
  assert.deepEqual(parseFlags(['-mpkg.mod', 'a'], RUN).values.get('-m'), 'pkg.mod');
  assert.deepEqual(parseFlags(['-c', 'print(1)', '-c', 'x'], RUN).rest, ['-c', 'x']);
  assert.deepEqual(parseFlags(['--python=/py', 's.py', '--out', 'z'], RUN).rest, ['s.py', '--out', 'z']);
  assert.throws(() => parseFlags(['-m'], RUN), (e: unknown) => e instanceof UsageError && /-m needs a value/.test(e.message));
  assert.throws(() => parseFlags(['--bogus'], RUN), /unknown option --bogus/);
});

test('inherited descriptors are told from Node\'s own: no epoll/eventfd, no pipe with both ends here', () => {
  const fds = inheritedDescriptors([
    [3, '/home/u/in.txt'], [4, 'anon_inode:[eventpoll]'], [5, 'pipe:[100]'], [6, 'pipe:[100]'], [7, 'anon_inode:[eventfd]'],
    [8, 'socket:[55]'], [9, 'pipe:[200]'], [10, '/dev/null'], [11, 'anon_inode:[io_uring]'], [12, '/proc/123/fd'],
  ]);
  assert.deepEqual(fds, [3, 8, 9, 10]);
});

test('this very process: the descriptors it lists exist', () => {
  for (const fd of inheritedDescriptors()) assert.ok(fs.fstatSync(fd));
});

test('terminal position from /proc/self/stat: foreground when the terminal\'s group is ours', () => {
  assert.deepEqual(terminalPosition('123 (node) S 1 500 500 34816 500 4194304 0'), { hasTerminal: true, foreground: true });
  assert.deepEqual(terminalPosition('123 (node) S 1 500 500 34816 777 4194304 0'), { hasTerminal: true, foreground: false });
  assert.deepEqual(terminalPosition('123 (a) b) (c) S 1 500 500 0 -1 4194304 0'), { hasTerminal: false, foreground: false });
});

test('terminal-safe text: C0, DEL, C1, bidi and line separators become visible escapes', () => {
  assert.equal(terminalSafe('a\x1b]52;c;AAAA\x07b'), 'a\\x1b]52;c;AAAA\\x07b');
  assert.equal(terminalSafe('x\ny\tz\r'), 'x\\x0ay\\x09z\\x0d');
  assert.equal(terminalSafe('\x9b31m\x7f'), '\\x9b31m\\x7f');
  assert.equal(terminalSafe('abc\u202etxt.exe\u2066\u2028'), 'abc\\u202etxt.exe\\u2066\\u2028');
  assert.equal(terminalSafe('naïve — 日本 ✓'), 'naïve — 日本 ✓', 'printable text is untouched');
  assert.equal(terminalSafeLines('one\ntwo\x1b[2J'), 'one\ntwo\\x1b[2J');
  const json = jsonSafe(JSON.stringify({ s: 'a\u009b\u202eb\x1b' }));
  assert.doesNotMatch(json, /[\x1b\u009b\u202e]/);
  assert.deepEqual(JSON.parse(json), { s: 'a\u009b\u202eb\x1b' });
  assert.deepEqual(withSafeStrings({ a: ['\x1b', 1, null], b: { c: '\u202e' } }), { a: ['\\x1b', 1, null], b: { c: '\\u202e' } });
});
