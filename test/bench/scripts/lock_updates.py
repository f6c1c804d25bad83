"""Lock-heavy processes: 2 processes x 100 000 `with lock: value.value += 1`
(multiprocessing Lock, shared Value).  Prints the elapsed seconds, then the
CPU seconds of this process and its children, measured inside the script
(from before the first start() to after the last join())."""
import os
import sys
import time
from multiprocessing import Lock, Process, Value


def update(lock, value, n):
    for _ in range(n):
        with lock:
            value.value += 1


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    lock = Lock()
    value = Value("i", 0, lock=False)
    t0 = time.perf_counter()
    c0 = os.times()
    ps = [Process(target=update, args=(lock, value, n)) for _ in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    elapsed = time.perf_counter() - t0
    c1 = os.times()
    cpu = sum(c1[:4]) - sum(c0[:4])     # user + system, this process and its joined children
    assert value.value == 2 * n, value.value
    print("%.6f %.6f" % (elapsed, cpu))
