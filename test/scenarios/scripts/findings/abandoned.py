"""A lock taken by a thread that then fails without releasing it; another
thread waits for it (with a timeout, so the run ends).

abandoned: lock.acquire() ... the thread raises before lock.release()
released:  `with lock:` releases it even though the work fails (the
           failure is handled inside the thread)
"""
import sys
import threading
import time

lock = threading.Lock()
taken = threading.Event()
mode = sys.argv[1]


def careless():
    if mode == "abandoned":
        lock.acquire()
        taken.set()
        raise RuntimeError("failed while holding the lock")
    try:
        with lock:
            taken.set()
            raise RuntimeError("failed while holding the lock")
    except RuntimeError:
        pass


def patient():
    taken.wait()
    time.sleep(0.05)
    if lock.acquire(timeout=1.5):
        lock.release()


a = threading.Thread(target=careless, name="careless")
b = threading.Thread(target=patient, name="patient")
a.start()
b.start()
a.join()
b.join()
print("done")
