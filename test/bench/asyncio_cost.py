"""What tracing asyncio costs per await: test/bench/scripts/asyncio_awaits.py
untraced and traced (the runtime on PYTHONPATH, as the launcher starts it),
alternating, median ns per await of each loop, and the records written.

    python3 test/bench/asyncio_cost.py [--runs 5] [PYTHON...]
"""
import argparse
import glob
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "scripts", "asyncio_awaits.py")
RUNTIME = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src", "runtime")
N = 100_000


def once(python, traced):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONCURRENCY_TRACE", "PYTHON"))}
    tmp = None
    if traced:
        tmp = tempfile.mkdtemp(prefix="ct-bench-")
        env.update(PYTHONPATH=RUNTIME, CONCURRENCY_TRACE_DIR=tmp, CONCURRENCY_TRACE_TOKEN="bench")
    try:
        out = subprocess.run([python, SCRIPT], env=env, capture_output=True, check=True,
                             timeout=600).stdout.decode()
        records = 0
        if tmp:
            for path in glob.glob(os.path.join(tmp, "*.ctev")):
                with open(path, "rb") as f:
                    data = f.read()
                records += sum(1 for off in range(128, len(data) - 63, 64)
                               if struct.unpack_from("<q", data, off + 56)[0] > 0)
        return {k: int(v) for k, v in (line.split() for line in out.splitlines())}, records
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("pythons", nargs="*", default=[sys.executable])
    opts = ap.parse_args()
    for python in opts.pythons:
        times = {False: {}, True: {}}
        records = []
        for _ in range(opts.runs):
            for traced in (False, True):
                result, n = once(python, traced)
                if traced:
                    records.append(n)
                for k, v in result.items():
                    times[traced].setdefault(k, []).append(v)
        print(python)
        for k in times[False]:
            u = statistics.median(times[False][k]) / N
            t = statistics.median(times[True][k]) / N
            print("  %-8s untraced %6.0f ns/await  traced %6.0f ns/await  added %6.0f ns  x%.2f"
                  % (k, u, t, t - u, t / u))
        print("  records per traced run: %d" % statistics.median(records))


if __name__ == "__main__":
    main()
