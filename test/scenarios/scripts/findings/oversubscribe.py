"""N CPU-bound processes that spin together for a fixed time (whatever the
load): many more than the cores is oversubscription.  They start spinning
together, once all have started: on a loaded machine (forkserver, spawn) the
starts spread over seconds, and a deadline fixed before them left only a few
spinning at once (16 on 2 cores at load ~28: no oversubscription seen)."""
import multiprocessing as mp
import sys
import time


def spin(started, seconds):
    started.wait()
    deadline = time.monotonic() + seconds
    x = 0
    while time.monotonic() < deadline:
        for i in range(10000):
            x += i


if __name__ == "__main__":
    n = int(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    started = mp.Barrier(n)
    procs = [mp.Process(target=spin, args=(started, seconds)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("done")
