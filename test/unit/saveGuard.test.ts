/** SaveGuard with real signals sent to this process: which one is told, which one stops the save. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SaveGuard } from '../../src/cli/saveGuard';

/**
 * Sends `sig` to this process and waits until its listeners have run: a listener of the test's
 * own, added after the guard's, is called in the same emit (a fixed wait is not enough on a
 * loaded machine: the timer can fire before the loop has read the signal).
 */
async function send(sig: NodeJS.Signals): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    // Also keeps the loop alive meanwhile (signal listeners do not).
    const late = setTimeout(() => reject(new Error(`${sig} not delivered within 30 s`)), 30000);
    process.once(sig, () => {
      clearTimeout(late);
      resolve();
    });
    process.kill(process.pid, sig);
  });
}

test('the first signal after the script ended is only told; a second SIGINT stops the save, with that signal', async () => {
  const guard = new SaveGuard();
  guard.arm();
  try {
    await send('SIGINT');
    assert.equal(guard.first, 'SIGINT');
    assert.equal(guard.stopped, false);
    await send('SIGINT');
    assert.equal(guard.stopSignal, 'SIGINT');
  } finally {
    guard.disarm();
  }
});

test('SIGHUP never stops the save (a closed terminal sends it more than once); SIGTERM after it does', async () => {
  const guard = new SaveGuard();
  guard.arm();
  try {
    await send('SIGHUP');
    await send('SIGHUP');
    assert.equal(guard.first, 'SIGHUP');
    assert.equal(guard.stopped, false);
    await send('SIGTERM');
    assert.equal(guard.stopSignal, 'SIGTERM');
  } finally {
    guard.disarm();
  }
});

test('disarmed, the guard takes no signal any more', async () => {
  const guard = new SaveGuard();
  guard.arm();
  guard.disarm();
  // send()'s own listener keeps SIGTERM from ending this process.
  await send('SIGTERM');
  assert.equal(guard.first, undefined);
  assert.equal(process.listenerCount('SIGTERM'), 0);
  assert.equal(process.listenerCount('SIGINT'), 0);
});
