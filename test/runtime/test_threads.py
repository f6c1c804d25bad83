import unittest

from test.runtime import tracefile

THREADS = """
import sys, threading
def work(n):
    sys.stdout.write("worker %d\\n" % n)
ts = [threading.Thread(target=work, args=(i,), name="W%d" % i) for i in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
"""


class ThreadLifecycle(unittest.TestCase):
    def test_each_thread_has_a_named_life_span_and_a_join(self):
        proc, trace = tracefile.run(THREADS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        names = set(trace.thread_names())
        self.assertEqual(names, {"MainThread", "W0", "W1", "W2"})
        for rec in trace.of("THREAD_START"):
            self.assertGreater(rec.end, rec.ts)
        joins = trace.of("THREAD_JOIN")
        self.assertEqual(len(joins), 3)
        for j in joins:
            self.assertEqual(j.a, 1)
            self.assertEqual(trace.site(j)[1], 9)
        spawns = trace.of("THREAD_SPAWN")
        self.assertEqual(sorted(s.obj for s in spawns),
                         sorted(r.ident for r in trace.of("THREAD_START") if r.obj != r.pid))

    def test_output_is_unchanged(self):
        proc, _ = tracefile.run(THREADS)
        self.assertEqual(sorted(proc.stdout.decode().splitlines()), ["worker 0", "worker 1", "worker 2"])
        self.assertEqual(proc.stderr, b"")

    def test_exception_in_thread_is_recorded_and_reported_as_usual(self):
        proc, trace = tracefile.run("import threading\n"
                                    "t = threading.Thread(target=lambda: 1/0)\n"
                                    "t.start(); t.join()\n")
        self.assertEqual(proc.returncode, 0)
        self.assertIn(b"ZeroDivisionError", proc.stderr)
        exc = trace.of("THREAD_EXCEPTION")
        self.assertEqual(len(exc), 1)
        self.assertIn("ZeroDivisionError", trace.blob(exc[0]))


LIBRARY_THREADS = """
import functools, os, sys, threading
os.makedirs("site-packages", exist_ok=True)
with open(os.path.join("site-packages", "somelib.py"), "w") as f:
    f.write("import threading\\n"
            "def loop():\\n    pass\\n"
            "class Helper(threading.Thread):\\n    def run(self):\\n        pass\\n")
sys.path.insert(0, os.path.abspath("site-packages"))
import somelib
def mine():
    pass
for t in (threading.Thread(target=somelib.loop, name="lib-target"), somelib.Helper(name="lib-class"),
          threading.Thread(target=mine, name="user-target"),
          threading.Thread(target=functools.partial(somelib.loop), name="lib-partial"),
          threading.Thread(target=functools.partial(mine), name="user-partial"),
          threading.Thread(target=print, args=(), name="builtin-target")):
    t.start(); t.join()
"""


class LibraryThreads(unittest.TestCase):
    def test_threads_running_a_function_of_an_installed_package_carry_the_library_flag(self):
        proc, trace = tracefile.run(LIBRARY_THREADS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        flags = {trace.blob(r): r.b for r in trace.of("THREAD_START")}
        self.assertEqual(flags["lib-target"] & 4, 4)
        self.assertEqual(flags["lib-class"] & 4, 4)
        self.assertEqual(flags["user-target"] & 4, 0)
        self.assertEqual(flags["lib-partial"] & 4, 4)
        self.assertEqual(flags["user-partial"] & 4, 0)
        self.assertEqual(flags["builtin-target"] & 4, 0)
        self.assertEqual(flags["MainThread"] & 4, 0)

    def test_a_library_thread_names_its_package_in_the_flags_high_bits(self):
        proc, trace = tracefile.run(LIBRARY_THREADS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        starts = {trace.blob(r): r for r in trace.of("THREAD_START")}
        lib = starts["lib-target"]
        self.assertEqual(trace.blobs.get((lib.pid, lib.b >> 3)), "somelib")
        self.assertEqual(trace.blobs.get((lib.pid, starts["lib-class"].b >> 3)), "somelib")
        self.assertEqual(starts["user-target"].b >> 3, 0)


if __name__ == "__main__":
    unittest.main()
