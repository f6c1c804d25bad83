"""Waits nobody can end: a consumer waits on a queue whose producer failed
before sending its sentinel (queue), and a waiter waits on a condition
nobody notifies because the notifier failed (condition). The main thread
joins them with a timeout, so the run ends.

queue / condition: the bug
queue-fixed / condition-fixed: the producer / notifier does it in `finally`
"""
import queue
import sys
import threading

mode = sys.argv[1]
jobs = queue.Queue()
ready = threading.Condition()
state = {"ready": False}


def producer():
    try:
        if not mode.endswith("fixed"):
            return              # forgot the sentinel (an early return, an exception…)
    finally:
        if mode.endswith("fixed"):
            jobs.put(None)


def consumer():
    while jobs.get() is not None:
        pass


def notifier():
    if mode.endswith("fixed"):
        with ready:
            state["ready"] = True
            ready.notify_all()


def waiter():
    with ready:
        while not state["ready"]:
            ready.wait()


if mode.startswith("queue"):
    threads = [threading.Thread(target=consumer, name="consumer"), threading.Thread(target=producer, name="producer")]
else:
    threads = [threading.Thread(target=waiter, name="waiter"), threading.Thread(target=notifier, name="notifier")]
for t in threads:
    t.start()
threads[1].join()
threads[0].join(timeout=1.5)
print("consumer alive:", threads[0].is_alive(), flush=True)
if threads[0].is_alive():
    # Let it end so the run ends: what a program would do after its timeout.
    if mode.startswith("queue"):
        jobs.put(None)
    else:
        with ready:
            state["ready"] = True
            ready.notify_all()
threads[0].join()
