"""Lock-heavy threads: 2 threads x 100 000 `with lock: counter += 1` on one
threading.Lock.  Prints the elapsed seconds, then the process's CPU seconds,
measured inside the script (the interpreter's and the tracer's start-up do
not count; CPU time is what a loaded machine disturbs least)."""
import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
lock = threading.Lock()
counter = [0]


def work():
    for _ in range(N):
        with lock:
            counter[0] += 1


t0 = time.perf_counter()
c0 = time.process_time()
ts = [threading.Thread(target=work) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
elapsed = time.perf_counter() - t0
cpu = time.process_time() - c0
assert counter[0] == 2 * N
print("%.6f %.6f" % (elapsed, cpu))
