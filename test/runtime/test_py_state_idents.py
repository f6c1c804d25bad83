"""py_state: a thread that gets the ident of a thread that ended (CPython
reuses the OS thread's) has its own first accesses recorded, not the dead
thread's exhausted budget, on every interpreter here."""
import unittest

from test.runtime import pythons
from test.runtime.pystatetrace import accesses, line_of, run

# The first thread makes its accesses while the second one's Thread.start is
# under way (after the tracer's fresh epoch for the newcomer: the window the
# bug needs, made certain here through the attribute start() reads just
# before creating the OS thread), then ends; the OS thread is gone (its
# /proc task too) before the second is created, which then gets its ident.
REUSE = """
import os
import threading
import time


class Box:
    def __init__(self):
        self.total = 0


counter = 0
box = Box()


def touch(n):
    global counter
    for _ in range(n):
        counter += 1
        box.total = box.total + 1


go = threading.Event()


def tasks():
    return len(os.listdir("/proc/self/task"))


def first_thread():
    go.wait()
    touch(200)


class Second(threading.Thread):
    @property
    def _bootstrap(self):
        go.set()
        first.join()
        deadline = time.monotonic() + 30
        while tasks() > alone and time.monotonic() < deadline:
            time.sleep(0.001)
        return threading.Thread._bootstrap.__get__(self)


alone = tasks()
first = threading.Thread(target=first_thread)
first.start()
second = Second(target=touch, args=(200,))
second.start()
second.join()
print(first.ident == second.ident, counter, box.total)
"""

FIRST = 64     # py_state_budget.FIRST: the accesses of each thread recorded per instruction and epoch


class ReusedIdents(unittest.TestCase):
    def test_a_thread_reusing_an_ended_threads_ident_has_its_first_accesses_recorded(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                proc, trace = run(REUSE, python)
                self.assertEqual(proc.stdout, b"True 400 400\n", "the second thread got the first one's ident")
                for name, needle in (("counter", "counter += 1"), ("total", "box.total = box.total + 1")):
                    line = line_of(REUSE, needle)
                    rows = [r for r in accesses(trace, name=name) if r[3] == line]
                    threads = sorted({r[4] for r in rows}, key=lambda t: t[2])
                    self.assertEqual(len(threads), 2, "%s: accesses of both threads" % name)
                    self.assertEqual(threads[0][1], threads[1][1], "one ident")
                    first, second = ([(k, v) for k, _p, v, _l, t, _r in rows if t == th] for th in threads)
                    # Each thread: its first FIRST reads and writes, the values it saw.
                    self.assertEqual(first[:2 * FIRST], [(k, i // 2 + (k == "WRITE"))
                                                         for i, k in enumerate(["READ", "WRITE"] * FIRST)])
                    self.assertEqual(second[:2 * FIRST], [(k, 200 + i // 2 + (k == "WRITE"))
                                                          for i, k in enumerate(["READ", "WRITE"] * FIRST)],
                                     "%s: the second thread's first accesses" % name)


if __name__ == "__main__":
    unittest.main()
