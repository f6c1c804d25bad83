"""Objects are labelled with the name the creating statement gives them,
read from the bytecode (never the line's text, never an evaluated
expression): two on one line, tuple targets, attributes, subscripts,
comprehensions, appends, an argument of another constructor."""
import textwrap
import unittest

from test.runtime import pythons, tracefile

NAMES = r'''
import queue, threading
import multiprocessing as mp
class Account:
    def __init__(self):
        self.lock = threading.Lock()
        self.sem = mp.Semaphore(2)
        self.waiters = []
        self.waiters.append(threading.Event())
a = threading.Lock(); b = threading.Lock()
first, second = mp.Lock(), mp.RLock()
accounts = {}
accounts[3] = threading.RLock()
i = 7
accounts[i] = queue.Queue()
locks = [mp.Lock() for _ in range(2)]
acct = Account()
cond = threading.Condition(threading.Lock())
inq, outq = queue.SimpleQueue(), mp.Queue()
left, right = mp.Pipe()
counter = mp.Value("i", 0); table = mp.Array("d", 3)
def make():
    local = threading.Barrier(1)
    return local
make()
threading.Semaphore(1)
print("ok")
'''


class Labels(unittest.TestCase):
    def test_labels_come_from_the_statement_that_stores_the_new_object(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                proc, trace = tracefile.run(textwrap.dedent(NAMES), python=python)
                self.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace"))
                got = sorted((trace.blob(o), trace.blob(o, "b") or "")
                             for o in trace.of("OBJECT") if o.pid == trace.pids()[0])
                expected = sorted([
                    ("Lock", "a"), ("Lock", "b"),
                    ("multiprocessing.Lock", "first"), ("multiprocessing.RLock", "second"),
                    ("RLock", "accounts[3]"), ("Queue", "accounts[\u2026]"),
                    ("multiprocessing.Lock", "locks[\u2026]"), ("multiprocessing.Lock", "locks[\u2026]"),
                    ("Lock", "Account.lock"), ("multiprocessing.Semaphore", "Account.sem"),
                    ("Event", "Account.waiters[\u2026]"),
                    ("Condition", "cond"), ("Lock", "cond"),
                    ("SimpleQueue", "inq"), ("multiprocessing.Queue", "outq"),
                    ("Pipe", "left, right"),
                    ("Value", "counter"), ("Array", "table"),
                    ("multiprocessing.RLock", "counter.get_lock()"),
                    ("multiprocessing.RLock", "table.get_lock()"),
                    ("Barrier", "local"), ("Semaphore", ""),
                ])
                self.assertEqual(got, expected)


if __name__ == "__main__":
    unittest.main()
