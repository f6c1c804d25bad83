#!/bin/sh
# An interpreter that, when started for a traced run (CONCURRENCY_TRACE_DIR set), first sends
# SIGINT to whatever started it (the CLI): a Ctrl-C / `kill -INT` that reaches the CLI at the very
# moment the script starts, before the CLI has finished setting the run up. It then waits (up to
# 30 s) for the CLI to pass that SIGINT on to it, the script's process, and says on stderr whether
# it came. Then the real Python ($CT_TEST_REAL_PYTHON) runs in its place, same pid.
#
# The SIGINT is caught here rather than left to land in the starting Python: CPython itself can
# lose a SIGINT that arrives while it starts (untraced python3.11, signalled 0.02-0.6 s after
# its start at load ~28: 1 in 114 ran on as if never signalled), so "the script was
# interrupted" would not show whether the CLI passed it on.
if [ -n "$CONCURRENCY_TRACE_DIR" ]; then
  got=
  trap 'got=1' INT
  kill -INT "$PPID"
  n=0
  while [ -z "$got" ] && [ "$n" -lt 600 ]; do
    sleep 0.05
    n=$((n + 1))
  done
  trap - INT
  if [ -n "$got" ]; then echo "launcher: SIGINT passed on" >&2; else echo "launcher: no SIGINT in 30 s" >&2; fi
fi
exec "$CT_TEST_REAL_PYTHON" "$@"
