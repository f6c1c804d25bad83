"""Every lock event is in the trace or counted as lost: a tracer failure in
the pure-Python hot path (lock_hot) after the real acquire drops the hold's
record, and the dropped record is counted (a VOID slot, EVENTS_LOST in the
trace), whether the failure came before or after the slot was claimed."""
import os
import unittest

from test.runtime.locktrace import objects, of, run

# The site lookup of a call site not seen before fails with the tracer's own
# error (len(frame): a TypeError raised with only tracer frames on its
# traceback), once per kind of lock; the next acquire is traced again.
SITE_LOOKUP_FAILS = """
import threading
from concurrency_trace import lock_hot
kind = %r
lock = getattr(threading, kind)()
assert type(lock).__mro__[1] is getattr(lock_hot, kind), type(lock).__mro__   # the pure path
real = lock_hot.site_for
lock_hot.site_for = len
try:
    with lock:
        held = lock._is_owned() if kind == "RLock" else lock.locked()
finally:
    lock_hot.site_for = real
with lock:
    pass
print(held, lock._is_owned() if kind == "RLock" else lock.locked())
"""


# Condition.wait on an RLock re-acquires it through the slow path's records
# (lock_records.begin); its site lookup fails with the tracer's own error.
REACQUIRE_SITE_FAILS = """
import threading
from concurrency_trace import lock_records
lock = threading.RLock()
cond = threading.Condition(lock)
real = lock_records.site_of
with cond:
    lock_records.site_of = len
    try:
        cond.wait(0.01)
    finally:
        lock_records.site_of = real
print(lock._is_owned())
"""


class LockEventsLost(unittest.TestCase):

    def check(self, kind):
        proc, trace = run(SITE_LOOKUP_FAILS % kind, env={"CONCURRENCY_TRACE_NATIVE": "0"})
        self.assertEqual(proc.stdout.decode().split(), ["True", "False"], "the program's locking is untouched")
        (lock,) = objects(trace, kind).values()
        holds = of(trace, lock.obj, "LOCK_HOLD")
        self.assertEqual(len(holds), 1, "the acquire after the failure is traced")
        self.assertEqual(len(trace.voided), 1, "the acquire whose record the tracer dropped is counted as lost")
        self.assertEqual(trace.unwritten, [])

    def test_a_tracer_failure_before_the_holds_slot_is_claimed_counts_the_hold_as_lost_lock(self):
        self.check("Lock")

    def test_a_tracer_failure_before_the_holds_slot_is_claimed_counts_the_hold_as_lost_rlock(self):
        self.check("RLock")

    def test_a_tracer_failure_looking_up_the_site_of_a_reacquire_keeps_the_hold_without_its_site(self):
        proc, trace = run(REACQUIRE_SITE_FAILS, env={"CONCURRENCY_TRACE_NATIVE": "0"})
        self.assertEqual(proc.stdout.decode().split(), ["False"])
        (lock,) = objects(trace, "RLock").values()
        holds = of(trace, lock.obj, "LOCK_HOLD")
        self.assertEqual(len(holds), 2, "the with's hold and the hold after the wait")
        self.assertEqual([h.site != 0 for h in holds], [True, False], "the reacquire's hold is there, without its site")
        self.assertEqual(trace.voided + trace.unwritten, [])


if __name__ == "__main__":
    unittest.main()
