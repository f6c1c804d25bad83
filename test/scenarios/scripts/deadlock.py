"""Two threads deadlock on two locks; a watchdog ends the process after 1 s."""
import os
import threading
import time

first = threading.Lock()
second = threading.Lock()
both_hold = threading.Barrier(2)


def one():
    with first:
        both_hold.wait()
        with second:
            pass


def two():
    with second:
        both_hold.wait()
        with first:
            pass


threading.Thread(target=one, name="one", daemon=True).start()
threading.Thread(target=two, name="two", daemon=True).start()
time.sleep(1)
print("deadlocked", flush=True)
os._exit(1)
