"""A parent and 4 children, each taking a lock many times; used with a file
size limit (a full disk for the tracer).  argv: start method, acquisitions."""
import multiprocessing as mp
import sys
import threading

from _method import set_start_method


def work(n):
    lock = threading.Lock()
    for _ in range(n):
        with lock:
            pass


if __name__ == "__main__":
    set_start_method()
    n = int(sys.argv[2])
    procs = [mp.Process(target=work, args=(n,)) for _ in range(4)]
    for p in procs:
        p.start()
    work(n)
    for p in procs:
        p.join()
    print([p.exitcode for p in procs])
    # The resource tracker ends with the script, not after it (a tracker
    # still starting as the run ends is another test's matter).
    from multiprocessing import resource_tracker
    resource_tracker._resource_tracker._stop()
