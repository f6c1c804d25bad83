"""Threads one after another, the second with the first one's ident, and a
long-lived third adding to the same global.

race:   `total += 1` with no lock: the second thread and the long-lived one
        race (the first one hands on to both by an Event: those pairs are
        ordered)
locked: the same under one threading.Lock

CPython reuses an ended OS thread's ident for the next thread.  Here that
happens for certain: the first thread makes its accesses while the second
one's start() is under way (the attribute start() reads just before it
creates the OS thread lets it), then ends, and its OS thread is gone before
the second is created.  The second thread's accesses count as its own.
"""
import os
import sys
import threading
import time

mode = sys.argv[1]
total = 0
lock = threading.Lock()
first_done = threading.Event()
go = threading.Event()
stay = threading.Event()


def add(n):
    global total
    for _ in range(n):
        if mode == "locked":
            with lock:
                total += 1
        else:
            total += 1


def first():
    go.wait()
    add(200)
    first_done.set()


def long_lived():
    first_done.wait()
    add(2000)
    stay.wait()     # alive until the second thread has ended: its ident is not free to take


def second():
    first_done.wait()
    add(200)


def tasks():
    return len(os.listdir("/proc/self/task"))


class Second(threading.Thread):
    @property
    def _bootstrap(self):
        go.set()
        a.join()    # (inside start(): the trace orders it after the spawn, not before)
        deadline = time.monotonic() + 30
        while tasks() > before_first and time.monotonic() < deadline:
            time.sleep(0.001)
        return threading.Thread._bootstrap.__get__(self)


third = threading.Thread(target=long_lived, name="long-lived")
third.start()
before_first = tasks()
a = threading.Thread(target=first, name="first")
a.start()
b = Second(target=second, name="second")
b.start()
b.join()
stay.set()
third.join()
print("same ident" if a.ident == b.ident else "other ident", "total", total)
