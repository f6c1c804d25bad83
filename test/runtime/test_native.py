"""The C accelerator (native/, concurrency_trace/native.py): it is loaded where
it is built, its records interleave with the Python writer's, its clock is
time.monotonic_ns, and an exception raised while it runs tracer Python code
is the program's (raised, never lost) or the tracer's (dropped).  Skipped
where the module is not built for this interpreter or is disabled."""
import sys
import textwrap
import unittest

from test.runtime.locktrace import line, objects, of
from test.runtime.test_lock_safety import native_expected
from test.runtime.tracefile import run


def traced(code, **kw):
    proc, trace = run(textwrap.dedent(code), **kw)
    if proc.returncode != 0:
        raise AssertionError("script failed (%d):\n%s\n%s" % (
            proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")))
    return proc, trace


class Loading(unittest.TestCase):
    def test_the_accelerator_is_used_where_built_and_not_when_disabled(self):
        code = """
            import threading
            from concurrency_trace import native
            print(native.module is not None, type(threading.Lock()).__mro__[1].__module__)
            print(native.status)
            """
        proc, _ = traced(code)
        loaded, base = proc.stdout.split(b"\n")[0].split()
        self.assertEqual(loaded == b"True", native_expected(), proc.stdout)
        self.assertEqual(base, b"concurrency_trace._ctnative" if native_expected() else b"concurrency_trace.lock_hot")
        proc, _ = traced(code, env={"CONCURRENCY_TRACE_NATIVE": "0"})
        self.assertEqual(proc.stdout.split(b"\n")[:2],
                         [b"False concurrency_trace.lock_hot", b"disabled by CONCURRENCY_TRACE_NATIVE=0"])


@unittest.skipUnless(native_expected(), "the C accelerator is not built for this interpreter (or disabled)")
class Records(unittest.TestCase):
    def test_clock_is_time_monotonic_ns(self):
        proc, _ = traced("""
            import time
            from concurrency_trace import native
            for _ in range(1000):
                a = time.monotonic_ns(); n = native.module.now(); b = time.monotonic_ns()
                assert a <= n <= b, (a, n, b)
            print("ok")
            """)
        self.assertEqual(proc.stdout.strip(), b"ok")

    def test_c_and_python_claims_share_one_sequence_of_slots(self):
        _, trace = traced("""
            import threading
            from concurrency_trace import native, writer
            m = native.module
            offs = []
            def work(k):
                for i in range(2000):
                    offs.append(m.point(70, k, 0, i, 1) if i % 2 else writer.point(70, k, 0, i, 2))
                    off = m.point(70, k, 0, i, 3)
                    m.finish(off, 7, 8)
                    offs.append(off)
            ts = [threading.Thread(target=work, args=(k,)) for k in range(3)]
            [t.start() for t in ts]; [t.join() for t in ts]
            assert len(set(offs)) == len(offs) == 12000 and min(offs) > 0, "a slot was claimed twice"
            """)
        sleeps = [r for r in trace.of("SLEEP") if r.obj in (0, 1, 2)]
        self.assertEqual(len(sleeps), 12000)
        for r in sleeps:
            if r.b == 3:
                self.assertEqual((r.a >= 0, r.end >= r.ts, r.b), (True, True, 3))
        closed = [r for r in sleeps if r.end]
        self.assertTrue(all(r.a == 7 and r.b == 8 for r in closed))
        self.assertEqual(len(closed), 6000)

    def test_point_at_and_finish_time_write_the_fields_given(self):
        _, trace = traced("""
            from concurrency_trace import native
            m = native.module
            off = m.point_at(70, 1000, 42, 9, 0, 5, 6, 0)
            m.finish_time(off, 2000)
            """)
        rec = [r for r in trace.of("SLEEP") if r.obj == 9]
        self.assertEqual([(r.ts, r.ident, r.a, r.b, r.end) for r in rec], [(1000, 42, 5, 6, 2000)])

    def test_site_ids_start_over_in_a_forked_child(self):
        _, trace = traced("""
            import os, threading
            lock = threading.Lock()
            def take():
                with lock:
                    pass
            take()
            pid = os.fork()
            if pid == 0:
                take()
                os._exit(0)
            os.waitpid(pid, 0)
            """)
        obj = objects(trace, "Lock")["lock"].obj
        holds = of(trace, obj, "LOCK_HOLD")
        self.assertEqual(len({h.pid for h in holds}), 2)
        self.assertEqual([line(trace, h) for h in holds], [5, 5])


# A site lookup that raises, as a signal handler would while tracer code runs.
LOOKUP = """
import threading, time
from concurrency_trace import native, lock_records
class Interrupt(Exception):
    pass
raising = [False]
def lookup(frame):
    if raising[0]:
        raising[0] = False
        {raise_it}
    return lock_records.native_site(frame)
native.configure(native.module, site_lookup=lookup{extra})
lock = threading.Lock()
"""


@unittest.skipUnless(native_expected(), "the C accelerator is not built for this interpreter (or disabled)")
class ExceptionsInTracerCode(unittest.TestCase):
    def script(self, raise_it, body, extra=""):
        return traced(LOOKUP.format(raise_it=raise_it, extra=extra) + textwrap.dedent(body))

    def test_the_programs_exception_after_the_acquire_comes_after_it(self):
        proc, trace = self.script("raise Interrupt('from a handler')", """
            inside = []
            raising[0] = True
            try:
                with lock:
                    inside.append(lock.locked())
                    inside.append("after")
            except Interrupt as e:
                print("raised", e, inside, lock.locked())
                import traceback
                print(traceback.format_exc().count("concurrency_trace"))
            """)
        # The with body ran up to its first check, the lock was released by
        # __exit__, and the traceback shows the program's frames only.
        # Raised at the body's first check: after locked() returned, before
        # the append.  (3.14 checks before the with statement's handler is
        # set up: there, as a signal untraced, it leaves the lock held.)
        free = b"True" if sys.version_info[:2] == (3, 14) else b"False"
        self.assertEqual(proc.stdout.split(b"\n")[:2], [b"raised from a handler [] " + free, b"0"])
        self.assertEqual(len(of(trace, objects(trace, "Lock")["lock"].obj, "LOCK_HOLD")), 1)

    def test_the_programs_exception_before_a_wait_is_raised_instead_of_waiting(self):
        proc, trace = self.script("raise Interrupt('before the wait')", """
            held = threading.Event()
            release = threading.Event()
            def holder():
                with lock:
                    held.set()
                    release.wait()
            t = threading.Thread(target=holder)
            t.start()
            held.wait()
            raising[0] = True
            t0 = time.monotonic()
            try:
                lock.acquire()          # held by the other thread: would wait forever
            except Interrupt as e:
                print("raised", e, time.monotonic() - t0 < 5)
            release.set()
            t.join()
            print(lock.acquire(False))
            """)
        self.assertEqual(proc.stdout.split(b"\n")[:2], [b"raised before the wait True", b"True"])
        waits = of(trace, objects(trace, "Lock")["lock"].obj, "LOCK_WAIT")
        self.assertEqual([(w.a, w.end >= w.ts) for w in waits], [(0, True)])

    def test_the_tracers_own_failure_is_dropped(self):
        # The guard says this ValueError is the tracer's failure (as it would
        # for a builtin exception raised in tracer code only).
        proc, trace = self.script("raise ValueError('tracer bug')", """
            raising[0] = True
            with lock:
                print("held", lock.locked())
            print("free", lock.locked())
            """, extra=", classify=lambda e: not isinstance(e, ValueError)")
        self.assertEqual(proc.stdout.split(b"\n")[:2], [b"held True", b"free False"])
        holds = of(trace, objects(trace, "Lock")["lock"].obj, "LOCK_HOLD")
        self.assertEqual([(h.site, h.end > 0) for h in holds], [(0, True)])


@unittest.skipUnless(native_expected(), "the C accelerator is not built for this interpreter (or disabled)")
class Trampoline(unittest.TestCase):
    def test_wrapper_calls_before_real_after_and_keeps_the_real_behaviour(self):
        proc, _ = traced("""
            import pickle, traceback
            from concurrency_trace import native
            W = native.module.Wrapper
            log = []
            def before(*args, **kw):
                log.append(("before", tuple(type(a).__name__ for a in args), kw))
                return "token"
            def after(token, result, exc):
                log.append(("after", token, result, type(exc).__name__ if exc else None))
            def real(a, b=2):
                if a == "boom":
                    raise KeyError(a)
                return a + b
            class C:
                def method(self, x):
                    return (self.__class__.__name__, x)
            C.method = W(C.__dict__["method"], before, after)
            w = W(real, before, after)
            print(w(1, b=3), C().method(5), w.__name__, w.__qualname__, w.__wrapped__ is real)
            try:
                w("boom")
            except KeyError:
                print(traceback.format_exc().count("File "))
            print(log)
            def g():
                return 1
            g = W(g, None, None)
            print(pickle.loads(pickle.dumps(g)) is g)
            """)
        out = proc.stdout.decode().splitlines()
        self.assertEqual(out[0], "4 ('C', 5) real real True")
        self.assertEqual(out[1], "2")   # the caller's line and real's: no wrapper frame
        self.assertEqual(eval(out[2]), [
            ("before", ("int",), {"b": 3}), ("after", "token", 4, None),
            ("before", ("C", "int"), {}), ("after", "token", ("C", 5), None),
            ("before", ("str",), {}), ("after", "token", None, "KeyError")])
        self.assertEqual(out[3], "True")

    def test_a_programs_exception_in_before_replaces_the_call_and_in_after_follows_it(self):
        proc, _ = traced("""
            from concurrency_trace import native
            W = native.module.Wrapper
            class Interrupt(Exception):
                pass
            calls = []
            def real():
                calls.append("real")
                return 1
            def interrupted_before(*a):
                raise Interrupt("before")
            def interrupted_after(token, result, exc):
                raise Interrupt("after")
            def failing_after(token, result, exc):
                raise ValueError("tracer bug")
            try:
                W(real, interrupted_before, None)()
            except Interrupt as e:
                print("raised", e, calls)
            got = []
            try:
                got.append(W(real, None, interrupted_after)())
                got.append("next")
            except Interrupt as e:
                print("raised", e, calls, got)
            # The guard says this ValueError is the tracer's failure.
            native.configure(native.module, classify=lambda e: not isinstance(e, ValueError))
            print(W(real, None, failing_after)(), calls)
            """)
        self.assertEqual(proc.stdout.decode().splitlines(), [
            "raised before []",
            "raised after ['real'] []",     # right after the call returned
            "1 ['real', 'real']"])

    def test_a_signal_raised_in_before_is_handled_before_the_call_or_with_guard_after_it(self):
        proc, _ = traced("""
            import signal
            from concurrency_trace import native
            W = native.module.Wrapper
            class Interrupt(Exception):
                pass
            def handler(signum, frame):
                raise Interrupt(frame.f_code.co_name)
            signal.signal(signal.SIGUSR1, handler)
            calls = []
            def real():
                calls.append("real")
            def before(*a):
                signal.raise_signal(signal.SIGUSR1)
            for guard in (False, True):
                try:
                    W(real, before, None, guard)()
                except Interrupt as e:
                    print(guard, "raised in", e, calls)
            """)
        self.assertEqual(proc.stdout.decode().splitlines(), [
            "False raised in before []",            # the handler ran inside before: no call
            "True raised in real []"])      # blocked during before: handled at the program's next check


if __name__ == "__main__":
    unittest.main()
