#!/usr/bin/env bash
# CI's bounded selection of CPython's own suites on 3.14 and 3.15, untraced vs traced through the
# CLI (test/cpython/run_suite.py): the threading, thread, threading_local and queue suites whole,
# and the multiprocessing suites (forkserver and spawn) restricted to the classes below. Fails on
# any test that passes untraced and not traced. A few minutes per version; the whole suites:
#   python3 test/cpython/run_suite.py --python PY test_multiprocessing_forkserver  (about 2 min a run)
# Usage: test/cpython/ci.sh [VERSION…]   (default 3.14 3.15; installs them with test/pythons/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || set -- 3.14 3.15
npm run --silent build >/dev/null

# Processes, queues, locks, pools, pipes, managers: what the runtime patches.
MP_CLASSES=(
  WithProcessesTestProcess WithProcessesTestSubclassingProcess WithProcessesTestQueue
  WithProcessesTestLock WithProcessesTestSemaphore WithProcessesTestCondition WithProcessesTestEvent
  WithProcessesTestBarrier WithProcessesTestPool WithProcessesTestPoolWorkerErrors
  WithProcessesTestConnection WithProcessesTestListenerClient WithProcessesTestFinalize
  WithManagerTestQueue WithManagerTestPool WithThreadsTestQueue TestSimpleQueue
  TestStdinBadfiledescriptor
)
match=()
for c in "${MP_CLASSES[@]}"; do match+=(-m "$c"); done

status=0
for v in "$@"; do
  py="$(test/pythons/setup.sh "$v" | sed -n "s/^PYTHON${v/./_}=//p")"
  python3 test/cpython/run_suite.py --python "$py" --confirm --timeout 300 --wall 900 \
    test_threading test_thread test_threading_local test_queue || status=1
  python3 test/cpython/run_suite.py --python "$py" --confirm --timeout 300 --wall 900 "${match[@]}" \
    test_multiprocessing_forkserver test_multiprocessing_spawn || status=1
done
exit $status
