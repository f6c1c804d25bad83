#!/usr/bin/env bash
# Runs the scenario corpus and the runtime's own unittest suite under one of the Pythons of
# test/pythons/setup.sh (installed on first use, cached after): npm run test:py314 / test:py315.
# Usage: test/pythons/run.sh VERSION
set -euo pipefail
cd "$(dirname "$0")/../.."
v="${1:?usage: $0 VERSION (3.14, 3.15)}"
py="$(test/pythons/setup.sh "$v" | sed -n "s/^PYTHON${v/./_}=//p")"
[ -x "$py" ] || { echo "test/pythons/setup.sh gave no Python $v" >&2; exit 1; }
npm run --silent build >/dev/null
export CONCURRENCY_TRACE_TEST_PYTHON="$py"
echo "== scenarios under $py" >&2
status=0
node test/run.mjs --test-concurrency=1 test/scenarios || status=1
echo "== runtime tests under $py" >&2
CT_TEST_PYTHONS=current "$py" -m unittest discover -s test/runtime -t . -p 'test_*.py' || status=1
exit $status
