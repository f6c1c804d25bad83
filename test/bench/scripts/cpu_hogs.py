"""N processes (argv[1]) that spin on the CPU for argv[2] seconds each, all at once: the load under
which the sampler's interval is measured."""
import multiprocessing as mp
import sys
import time


def spin(seconds):
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1


if __name__ == "__main__":
    n, seconds = int(sys.argv[1]), float(sys.argv[2])
    procs = [mp.Process(target=spin, args=(seconds,)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
