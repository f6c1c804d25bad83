#!/usr/bin/env bash
# CI's bounded selection of CPython's own suites on 3.14 and 3.15, untraced vs traced through the
# CLI (test/cpython/run_suite.py): the threading, thread, threadsignals, threading_local and queue
# suites whole, the asyncio modules below and concurrent.futures' thread pool and futures (on the
# last version given), and the
# multiprocessing suites (forkserver and spawn) restricted to the classes below. Fails on any test
# that passes untraced and not traced. A few minutes per version; the whole suites:
#   python3 test/cpython/run_suite.py --python PY test_multiprocessing_forkserver  (about 2 min a run)
#   python3 test/cpython/run_suite.py --python PY test_concurrent_futures         (2-4 min a run)
# (all passed traced on 3.8, 3.11-3.15 on 2026-12-06; test/cpython/README.md has the figures).
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

# asyncio's synchronisation, tasks, event loops and subprocesses (the runtime patches its locks,
# queues, tasks and waits); concurrent.futures' thread pool and Future.
ASYNC_AND_FUTURES=(
  test_asyncio.test_locks test_asyncio.test_queues test_asyncio.test_tasks
  test_asyncio.test_taskgroups test_asyncio.test_events test_asyncio.test_subprocess
  test_asyncio.test_threads test_asyncio.test_futures test_asyncio.test_waitfor
  test_asyncio.test_timeouts test_asyncio.test_runners
  test_concurrent_futures.test_thread_pool test_concurrent_futures.test_future
)

status=0
for v in "$@"; do
  py="$(test/pythons/setup.sh "$v" | sed -n "s/^PYTHON${v/./_}=//p")"
  python3 test/cpython/run_suite.py --python "$py" --confirm --timeout 300 --wall 900 \
    test_threading test_thread test_threadsignals test_threading_local test_queue || status=1
  # The newest version only (about 1.6 minutes a version; CI stays under an hour).
  if [ "$v" = "${!#}" ]; then
    python3 test/cpython/run_suite.py --python "$py" --confirm --timeout 300 --wall 900 \
      "${ASYNC_AND_FUTURES[@]}" || status=1
  fi
  python3 test/cpython/run_suite.py --python "$py" --confirm --timeout 300 --wall 900 "${match[@]}" \
    test_multiprocessing_forkserver test_multiprocessing_spawn || status=1
done
exit $status
