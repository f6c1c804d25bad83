"""N CPU-bound processes that spin until a common deadline (a fixed time,
whatever the load): many more than the cores is oversubscription."""
import multiprocessing as mp
import sys
import time


def spin(deadline):
    x = 0
    while time.monotonic() < deadline:
        for i in range(10000):
            x += i


if __name__ == "__main__":
    n = int(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    deadline = time.monotonic() + seconds
    procs = [mp.Process(target=spin, args=(deadline,)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("done")
