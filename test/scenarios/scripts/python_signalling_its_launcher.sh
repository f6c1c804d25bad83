#!/bin/sh
# An interpreter that, when started for a traced run (CONCURRENCY_TRACE_DIR set), first sends
# SIGINT to whatever started it (the CLI): a Ctrl-C / `kill -INT` that reaches the CLI at the very
# moment the script starts, before the CLI has finished setting the run up. Then the real Python
# ($CT_TEST_REAL_PYTHON) runs in its place, same pid.
if [ -n "$CONCURRENCY_TRACE_DIR" ]; then
  kill -INT "$PPID"
fi
exec "$CT_TEST_REAL_PYTHON" "$@"
