/**
 * A traced dask.distributed Client program writes what it writes untraced:
 * same stdout, same exit status, same stderr (the tracer's asyncio patches
 * see every one of dask's and tornado's futures and tasks; none may make a
 * "Future exception was never retrieved" appear or disappear).
 *
 * Three messages are left out of the stderr comparison: they depend on
 * timing and on the machine, not on what the tracer does:
 * - distributed 2022.12's Client.close race: the Client's BatchedSend sets a
 *   10 ms tornado with_timeout after its last write; when the loop thread
 *   runs loop.stop in the same iteration as that timer, the future is failed
 *   with TimeoutError('Timeout') and the coroutine waiting on it never wakes,
 *   so it is logged as never retrieved at interpreter exit. Reproduced
 *   untraced under load (1 of 30 runs of test/scenarios/scripts/dask_remote/
 *   client.py); test/runtime/test_asyncio_exception_logging.py makes the same
 *   pattern deterministic and checks it logs identically traced and untraced.
 * - "Port 8787 is already in use": another dask cluster on the machine.
 * - The nanny's "Worker process still alive after 3.2 seconds, killing": a
 *   worker that takes longer than distributed's close timeout to stop. The
 *   traced worker runs its shutdown (hundreds of lock and queue operations)
 *   slower, so on a loaded machine (load average 24 in the CI run that met
 *   it, pure-Python path) it crosses 3.2 s where the untraced one did not;
 *   the program's output and exit status stay the same. At load ~30 (pure
 *   path) the same slow stop went past the nanny's kill timeout too: "Error
 *   in Nanny killing Worker subprocess" with its TimeoutError traceback.
 * Each run has a worker space of its own (DASK_TEMPORARY_DIRECTORY), so no
 * "Found stale lock file" from the workers of other runs on the machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { scratch } from './cliHarness';
import { SCRIPTS, traceScript } from './harness';

/** Debian's interpreter: the one with python3-distributed. */
const DEBIAN = '/usr/bin/python3';

function distributedMissing(): string | undefined {
  const r = spawnSync(DEBIAN, ['-c', 'import distributed'], { cwd: os.tmpdir(), timeout: 120000 });
  return r.status === 0 ? undefined : `${DEBIAN} cannot import distributed (python3-distributed not installed)`;
}

/** The script untraced, its stderr kept (harness.runUntraced keeps it only on failure). */
function untraced(script: string, workerSpace: string): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { DASK_TEMPORARY_DIRECTORY: workerSpace };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CONCURRENCY_TRACE') && k !== 'PYTHONPATH' && !(k in env)) env[k] = v;
  const r = spawnSync(DEBIAN, [path.join(SCRIPTS, script)], { cwd: os.tmpdir(), env, encoding: 'utf8', timeout: 180000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CLOSE_RACE = "Future exception was never retrieved\nfuture: <Future finished exception=TimeoutError('Timeout')>\nTimeoutError: Timeout\n";
const NANNY_KILL = /^\S+ \S+ - distributed\.nanny - WARNING - Worker process still alive after [\d.]+ seconds, killing\n/gm;
const NANNY_KILL_TIMEOUT = /^\S+ \S+ - distributed\.nanny - ERROR - Error in Nanny killing Worker subprocess\nTraceback \(most recent call last\):\n(?:.*\n)*?TimeoutError\n/gm;
const PORT_IN_USE = /^\S*distributed\/node\.py:\d+: UserWarning: Port 8787 is already in use\.\nPerhaps you already have a cluster running\?\nHosting the HTTP server on port \d+ instead\n {2}warnings\.warn\(\n/gm;

/** stderr without the messages printed by timing or by machine, not by the tracer. */
function withoutUntracedNoise(stderr: string): string {
  return stderr.split(CLOSE_RACE).join('').replace(PORT_IN_USE, '').replace(NANNY_KILL, '').replace(NANNY_KILL_TIMEOUT, '');
}

for (const script of ['dask_distributed.py', 'dask_async_cluster.py']) {
  test(`traced ${script} (a Client on a LocalCluster of 2 worker processes) prints the untraced stdout and stderr and exits the same`, async (t) => {
    const missing = distributedMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    const dir = scratch('dask-stderr');
    const plain = untraced(script, path.join(dir, 'untraced'));
    assert.equal(plain.status, 0, plain.stderr);
    const traced = await traceScript(script, [], { python: DEBIAN, env: { ...process.env, DASK_TEMPORARY_DIRECTORY: path.join(dir, 'traced') } });
    assert.equal(traced.exitCode, plain.status, traced.stderr);
    assert.equal(traced.stdout, plain.stdout);
    assert.equal(withoutUntracedNoise(traced.stderr), withoutUntracedNoise(plain.stderr));
    assert.ok(traced.store.processes.length >= 3, 'the client and its 2 worker processes were traced');
    fs.rmSync(dir, { recursive: true, force: true });
    if (traced.stderr.includes(CLOSE_RACE)) t.diagnostic('traced run hit distributed\'s Client.close race (also untraced under load)');
  });
}
