import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { writeHtmlReport } from '../../src/core/export/htmlReport';
import { AtomicFile, DestinationError, checkDestination, tempNameFor, writeFileAtomic } from '../../src/core/trace/safeFile';
import { TraceStore } from '../../src/core/trace/traceStore';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-safefile-'));
const leftovers = (d: string): string[] => fs.readdirSync(d).filter((n) => n.includes('.tmp'));

test('temp names are unpredictable: random, not the pid', () => {
  const a = tempNameFor(path.join(dir, 'out.ctrace'));
  const b = tempNameFor(path.join(dir, 'out.ctrace'));
  assert.notEqual(a, b);
  assert.ok(!a.includes(String(process.pid)));
  assert.equal(path.dirname(a), dir, 'same folder, so the rename is atomic');
});

test('a planted symlink at the destination is replaced, never written through', () => {
  const victim = path.join(dir, 'passwd');
  fs.writeFileSync(victim, 'root:x:0:0\n');
  const dest = path.join(dir, 'trace.out');
  fs.symlinkSync(victim, dest);
  writeFileAtomic(dest, 'trace bytes');
  assert.equal(fs.readFileSync(victim, 'utf8'), 'root:x:0:0\n');
  assert.ok(!fs.lstatSync(dest).isSymbolicLink());
  assert.equal(fs.readFileSync(dest, 'utf8'), 'trace bytes');
  assert.equal(fs.statSync(dest).mode & 0o777, 0o600, 'private');
  assert.deepEqual(leftovers(dir), []);
});

test('a planted symlink under the temp name cannot be followed (O_EXCL | O_NOFOLLOW)', () => {
  // Whatever name an attacker guesses, an existing entry makes the open fail, and another name is drawn.
  const victim = path.join(dir, 'victim2');
  fs.writeFileSync(victim, 'safe');
  const file = new AtomicFile(path.join(dir, 'x.out'));
  const tmp = (file as unknown as { tmp: string }).tmp;
  file.abort();
  fs.symlinkSync(victim, tmp);
  assert.throws(() => fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW), /EEXIST/);
  fs.rmSync(tmp);
  assert.equal(fs.readFileSync(victim, 'utf8'), 'safe');
});

test('chunks are written in order; an aborted file leaves nothing behind', () => {
  const dest = path.join(dir, 'chunks.out');
  writeFileAtomic(dest, (function* gen() {
    yield 'a';
    yield Buffer.from('b');
    yield 'c';
  })());
  assert.equal(fs.readFileSync(dest, 'utf8'), 'abc');
  const f = new AtomicFile(path.join(dir, 'never.out'));
  f.write('partial');
  f.abort();
  assert.ok(!fs.existsSync(path.join(dir, 'never.out')));
  assert.deepEqual(leftovers(dir), []);
});

test('a generator that throws mid-way leaves the old file and no temp file', () => {
  const dest = path.join(dir, 'keep.out');
  fs.writeFileSync(dest, 'old');
  assert.throws(() => writeFileAtomic(dest, (function* gen() {
    yield 'new';
    throw new Error('boom');
  })()), /boom/);
  assert.equal(fs.readFileSync(dest, 'utf8'), 'old');
  assert.deepEqual(leftovers(dir), []);
});

test('checkDestination says why a destination cannot be written', () => {
  assert.throws(() => checkDestination(path.join(dir, 'no', 'such', 'x.ctrace')), (e: unknown) => e instanceof DestinationError && /folder .*no\/such does not exist/.test(e.message));
  assert.throws(() => checkDestination(dir), /it is a folder/);
  fs.writeFileSync(path.join(dir, 'file'), '');
  assert.throws(() => checkDestination(path.join(dir, 'file', 'x.ctrace')), /is not a folder/);
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => checkDestination(fifo), /not a regular file/);
  assert.throws(() => checkDestination('/dev/null'), /not a regular file/);
  checkDestination(path.join(dir, 'fine.ctrace'));
  assert.ok(!fs.existsSync(path.join(dir, 'fine.ctrace')), 'the probe leaves nothing');
  assert.deepEqual(leftovers(dir), []);
});

test('the HTML report is written privately, through no planted symlink', () => {
  const assets = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-assets-'));
  fs.writeFileSync(path.join(assets, 'webview.js'), 'console.log(1);\n');
  const victim = path.join(dir, 'victim.html');
  fs.writeFileSync(victim, 'keep');
  const out = path.join(dir, 'report.html');
  fs.symlinkSync(victim, out);
  // Also at the old predictable temp name.
  const victim2 = path.join(dir, 'victim2.html');
  fs.writeFileSync(victim2, 'keep too');
  fs.symlinkSync(victim2, `${out}.tmp-${process.pid}`);
  writeHtmlReport(out, new TraceStore(), { assetsDir: assets });
  assert.equal(fs.readFileSync(victim, 'utf8'), 'keep');
  assert.equal(fs.readFileSync(victim2, 'utf8'), 'keep too');
  fs.rmSync(`${out}.tmp-${process.pid}`);
  assert.match(fs.readFileSync(out, 'utf8'), /<!DOCTYPE html>/);
  assert.equal(fs.statSync(out).mode & 0o777, 0o600);
  assert.deepEqual(leftovers(dir), []);
  fs.rmSync(assets, { recursive: true, force: true });
});
