import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { describeUntraced, readUntracedNotes } from '../../src/core/run/untracedNotes';

function runDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ct-notes-'));
}

test('readUntracedNotes: one entry per note file, by pid, other files ignored', () => {
  const dir = runDir();
  fs.writeFileSync(path.join(dir, 'untraced-42-0a1b2c3d.txt'), 'Python 3.7 is older than 3.8');
  fs.writeFileSync(path.join(dir, 'untraced-7-ffffffff.txt'), 'the tracer could not start (OSError: [Errno 27] File too large)');
  fs.writeFileSync(path.join(dir, 'p7-00000000.ctev'), 'x');
  fs.writeFileSync(path.join(dir, 'untraced-8-nothex!!.txt'), 'not ours');
  assert.deepEqual(readUntracedNotes(dir), [
    { pid: 7, reason: 'the tracer could not start (OSError: [Errno 27] File too large)' },
    { pid: 42, reason: 'Python 3.7 is older than 3.8' },
  ]);
  assert.deepEqual(readUntracedNotes(path.join(dir, 'missing')), []);
});

test('readUntracedNotes: control characters dropped, at most 400 bytes read, symlinks and FIFOs not followed', () => {
  const dir = runDir();
  fs.writeFileSync(path.join(dir, 'untraced-1-00000001.txt'), `bad\x1b]52;c;aGk=\x07 news\n${'x'.repeat(1000)}`);
  const target = path.join(dir, 'secret');
  fs.writeFileSync(target, 'secret text');
  fs.symlinkSync(target, path.join(dir, 'untraced-2-00000002.txt'));
  if (process.platform !== 'win32') execFileSync('mkfifo', [path.join(dir, 'untraced-3-00000003.txt')]);
  const notes = readUntracedNotes(dir);
  assert.equal(notes[0].pid, 1);
  assert.ok(notes[0].reason.startsWith('bad ]52;c;aGk=  news x'), JSON.stringify(notes[0].reason));
  assert.ok(Buffer.byteLength(notes[0].reason) <= 400);
  assert.ok(!/[\x00-\x1f]/.test(notes[0].reason));
  assert.deepEqual(notes.slice(1).map((n) => [n.pid, n.reason]), [[2, 'no reason given'], ...(process.platform !== 'win32' ? [[3, 'no reason given']] : [])]);
});

test('describeUntraced: one line per distinct reason, naming the processes', () => {
  assert.deepEqual(describeUntraced([]), []);
  assert.deepEqual(describeUntraced([{ pid: 5, reason: 'r1' }]), ['process 5 was not traced: r1']);
  const many = Array.from({ length: 12 }, (_, i) => ({ pid: 100 + i, reason: 'r2' }));
  assert.deepEqual(describeUntraced([{ pid: 5, reason: 'r1' }, ...many]), [
    'process 5 was not traced: r1',
    '12 processes were not traced (pids 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, …): r2',
  ]);
});
