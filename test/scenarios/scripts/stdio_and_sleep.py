"""Output from several threads and processes, and sleeps."""
import os
import sys
import threading
import time
import multiprocessing as mp
from _method import set_start_method


def child():
    print("from child", os.getpid() > 0, flush=True)
    time.sleep(0.02)


def worker(i):
    time.sleep(0.01)
    sys.stdout.write("thread %d\n" % i)
    sys.stdout.flush()


if __name__ == "__main__":
    set_start_method()
    print("héllo ✓", flush=True)
    print("to stderr", file=sys.stderr, flush=True)
    sys.stdout.write("no newline")
    sys.stdout.write("\n")
    sys.stdout.flush()
    sys.stdout.buffer.write(b"bytes \xff\n")
    sys.stdout.flush()
    for i in range(2):  # one at a time: the output order must not vary between runs
        t = threading.Thread(target=worker, args=(i,))
        t.start()
        t.join()
    p = mp.Process(target=child); p.start(); p.join()
    time.sleep(0.05)
    print("end")
