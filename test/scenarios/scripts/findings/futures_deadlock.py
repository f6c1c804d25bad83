"""The concurrent.futures docs' deadlocks, with timeouts so the run ends.

each-other: two tasks wait on each other's result (ThreadPoolExecutor(2))
self-pool:  a task of a one-worker pool waits for a task it submitted to
            the same pool
fixed:      the tasks do not wait on futures of their own pool
"""
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

mode = sys.argv[1]
# each-other: both tasks start waiting once both futures exist (a sleep instead left a task that
# woke before the main thread had assigned `b` on a loaded machine with a NameError, not a wait),
# and at about the same moment: the deadlock lasts about the timeout, which a loaded machine
# cannot shorten below the one second a future-wait deadlock needs to count.
both_submitted = threading.Barrier(3)


def wait_on_b():
    both_submitted.wait()
    try:
        return b.result(timeout=2.5)
    except Exception:
        return None


def wait_on_a():
    both_submitted.wait()
    try:
        return a.result(timeout=2.5)
    except Exception:
        return None


if mode == "each-other":
    executor = ThreadPoolExecutor(max_workers=2)
    a = executor.submit(wait_on_b)
    b = executor.submit(wait_on_a)
    both_submitted.wait()
    executor.shutdown(wait=True)
elif mode == "self-pool":
    executor = ThreadPoolExecutor(max_workers=1)

    def wait_on_future():
        f = executor.submit(pow, 5, 2)
        try:
            return f.result(timeout=1.5)
        except Exception:
            return None

    outer = executor.submit(wait_on_future)
    print(outer.result())
    executor.shutdown(wait=True)
else:
    with ThreadPoolExecutor(max_workers=2) as executor:
        a = executor.submit(pow, 5, 2)
        b = executor.submit(pow, 2, 5)
        print(a.result() + b.result())
print("done")
