import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { readRunPlace, runPlace, wallAnchor } from '../../src/core/merge/runPlace';

// Python reads time.time_ns() between two time.monotonic_ns() (the clocks the
// runtime stamps events with): the tightest of 200 brackets, with its half-width.
function pythonAnchor(): { wallMinusMonoNs: bigint; errorNs: number } {
  const code = [
    'import time',
    'b = None',
    'for _ in range(200):',
    '    m0 = time.monotonic_ns(); w = time.time_ns(); m1 = time.monotonic_ns()',
    '    if b is None or m1 - m0 < b[0]: b = (m1 - m0, w - (m0 + m1) // 2)',
    'print(b[1], b[0] // 2 + 1)',
  ].join('\n');
  const r = spawnSync(process.env.CT_PYTHON ?? 'python3', ['-c', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [v, e] = r.stdout.trim().split(' ');
  return { wallMinusMonoNs: BigInt(v), errorNs: Number(e) };
}

test("the run's wall-clock anchor agrees with Python's reading of the same clocks within the errors both claim", () => {
  // The wall clock may be slewed between the two readings by at most 500 ppm of the ms apart they are: nothing at this scale.
  for (let round = 0; round < 3; round++) {
    const node = wallAnchor();
    const py = pythonAnchor();
    assert.ok(node.errorNs >= 0 && node.errorNs < 1_000_000, `error ${node.errorNs}`);
    const diff = Number(node.wallMinusMonoNs - py.wallMinusMonoNs);
    assert.ok(Math.abs(diff) <= node.errorNs + py.errorNs + 1000, `Node ${diff} ns from Python, ± ${node.errorNs} + ${py.errorNs}`);
  }
});

test('a run place carries its wall-clock error, and reading it back keeps it', () => {
  const place = runPlace(process.hrtime.bigint(), {});
  assert.ok(typeof place.wallErrorNs === 'number' && place.wallErrorNs < 1_000_000);
  assert.equal(readRunPlace({ ...place })?.wallErrorNs, place.wallErrorNs);
  assert.equal(readRunPlace({ ...place, wallErrorNs: -1 })?.wallErrorNs, undefined);
  assert.equal(readRunPlace({ ...place, wallErrorNs: 'x' })?.wallErrorNs, undefined);
});
