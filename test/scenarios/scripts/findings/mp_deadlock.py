"""Two processes take two multiprocessing locks in opposite orders and, once
both hold their first, wait for the second forever; the test ends the run
with SIGINT to the process group (Ctrl-C).

deadlock: opposite orders (hangs until interrupted)
ordered:  the same order in both (ends by itself)
"""
import sys
from multiprocessing import Barrier, Lock, Process


def worker(first, second, both, mode):
    with first:
        if mode == "deadlock":
            both.wait()
        with second:
            pass


if __name__ == "__main__":
    mode = sys.argv[1]
    lock_a = Lock()
    lock_b = Lock()
    both = Barrier(2)
    one = Process(target=worker, args=(lock_a, lock_b, both, mode))
    two = Process(target=worker, args=((lock_b, lock_a) if mode == "deadlock" else (lock_a, lock_b)) + (both, mode))
    one.start()
    two.start()
    one.join()
    two.join()
    print("done", flush=True)
