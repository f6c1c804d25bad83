/** SaveGuard with real signals sent to this process: which one is told, which one stops the save. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SaveGuard } from '../../src/cli/saveGuard';

/** Sends `sig` to this process and waits until its listeners have run. */
async function send(sig: NodeJS.Signals): Promise<void> {
  process.kill(process.pid, sig);
  await new Promise((resolve) => setTimeout(resolve, 50));
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
  // A listener of the test's own keeps SIGTERM from ending this process.
  const seen: string[] = [];
  const own = (): void => void seen.push('SIGTERM');
  process.on('SIGTERM', own);
  try {
    await send('SIGTERM');
  } finally {
    process.removeListener('SIGTERM', own);
  }
  assert.deepEqual(seen, ['SIGTERM']);
  assert.equal(guard.first, undefined);
  assert.equal(process.listenerCount('SIGINT'), 0);
});
