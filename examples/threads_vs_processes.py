"""The GIL lesson: the same CPU-bound work in 4 threads, then in 4 processes.

The threads share one interpreter and its GIL, so only one of them runs Python
code at a time: together they get about 1 core however many cores the machine
has. The processes each have their own interpreter: they use every core there
is. Watch "cores used" on the timeline: about 1.0 for the threads, about the
number of cores for the processes."""
import threading
import time
from multiprocessing import Process

WORK = 3_000_000  # loop steps per worker: a few tenths of a second of CPU


def count(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


def run_all(workers):
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start


if __name__ == "__main__":
    threads = [threading.Thread(target=count, args=(WORK,), name=f"thread-{i}") for i in range(4)]
    print(f"4 threads:   {run_all(threads):.2f} s")
    processes = [Process(target=count, args=(WORK,), name=f"process-{i}") for i in range(4)]
    print(f"4 processes: {run_all(processes):.2f} s")
