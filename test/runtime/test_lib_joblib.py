"""joblib under Debian's /usr/bin/python3: the calls of the user's function
are the tasks (the backend's batch unit is not one), whatever the backend
and however the calls are given, and the program sees exactly what it would
untraced."""
import os
import subprocess
import unittest

from test.runtime import tracefile

DEBIAN = "/usr/bin/python3"


def _has_joblib():
    try:
        return subprocess.run([DEBIAN, "-c", "import joblib"], capture_output=True).returncode == 0
    except OSError:
        return False


HAS_JOBLIB = _has_joblib()

HEADER = """import sys, time
from joblib import Parallel, delayed
def square(x):
    return x * x
def boom(x):
    time.sleep(0.01)
    if x == 5:
        raise ValueError("no fives: %d" % x)
    return x
"""


def tasks_of(trace):
    """task id -> {kind name: [records]} of the calls' tasks."""
    tasks = {}
    for r in trace.of("TASK_SUBMIT", "TASK_RUN", "TASK_RESULT"):
        tasks.setdefault(r.obj, {}).setdefault(r.name, []).append(r)
    return tasks


@unittest.skipUnless(HAS_JOBLIB, "Debian python3-joblib is not installed")
class JoblibTasks(unittest.TestCase):
    def run_traced(self, body, *args):
        code = HEADER + 'if __name__ == "__main__":\n' + body
        proc, trace = tracefile.run(code, *args, python=DEBIAN)
        return code, proc, trace

    def test_a_generator_of_100_calls_is_100_tasks_on_every_backend(self):
        body = ("    r = Parallel(n_jobs=2, backend=sys.argv[1])(delayed(square)(i) for i in range(100))\n"
                "    print(sum(r))\n")
        for backend in ("threading", "multiprocessing", "loky", "sequential"):
            with self.subTest(backend=backend):
                _, proc, trace = self.run_traced(body, backend)
                self.assertEqual(proc.returncode, 0, proc.stderr.decode())
                self.assertEqual(proc.stdout, b"328350\n")
                tasks = tasks_of(trace)
                self.assertEqual(len(tasks), 100)
                for tid, t in tasks.items():
                    self.assertEqual([len(t.get(k, ())) for k in ("TASK_SUBMIT", "TASK_RUN", "TASK_RESULT")],
                                     [1, 1, 1], tid)
                    self.assertEqual(trace.blob(t["TASK_RUN"][0]), "square")
                self.assertEqual(sorted(trace.blob(t["TASK_RUN"][0], "b") for t in tasks.values()),
                                 sorted(str(i) for i in range(100)))

    def test_a_failed_batch_on_a_pool_backend_marks_the_raising_call_failed_and_no_call_succeeded_twice(self):
        body = ("    try:\n"
                "        Parallel(n_jobs=2, backend=sys.argv[1], batch_size=1)(delayed(boom)(i) for i in range(8))\n"
                "    except ValueError as e:\n"
                "        print('caught', e)\n")
        for backend in ("threading", "multiprocessing"):
            with self.subTest(backend=backend):
                _, proc, trace = self.run_traced(body, backend)
                self.assertEqual(proc.returncode, 0, proc.stderr.decode())
                self.assertEqual(proc.stdout, b"caught no fives: 5\n")
                tasks = tasks_of(trace)
                failed = [tid for tid, t in tasks.items() if [r.a for r in t.get("TASK_RESULT", ())] == [0]]
                self.assertEqual(len(failed), 1)
                self.assertEqual(trace.blob(tasks[failed[0]]["TASK_RUN"][0], "b"), "5")
                for tid, t in tasks.items():
                    self.assertLessEqual(len(t.get("TASK_RESULT", ())), 1, tid)
                    self.assertEqual(len(t.get("TASK_SUBMIT", ())), 1, "only the calls are tasks")

    def test_an_uncaught_exception_from_a_call_prints_the_same_bytes_and_status_as_untraced(self):
        body = "    Parallel(n_jobs=2, backend=sys.argv[1])(delayed(boom)(i) for i in range(8))\n"
        for backend in ("sequential", "threading"):
            with self.subTest(backend=backend):
                code, proc, _ = self.run_traced(body, backend)
                script = os.path.join(tracefile._made[-1], "script.py")     # the script just run
                plain = subprocess.run([DEBIAN, script, backend], capture_output=True,
                                       cwd=os.path.dirname(script))
                self.assertEqual(proc.returncode, plain.returncode)
                self.assertEqual(proc.stdout, plain.stdout)
                self.assertEqual(proc.stderr, plain.stderr)
                self.assertIn(b"ValueError: no fives: 5", proc.stderr)

    def test_a_sequential_parallel_inside_a_threading_call_runs_its_calls_as_tasks_on_that_worker_thread(self):
        body = ("    def inner(x):\n"
                "        return sum(Parallel(n_jobs=1)(delayed(square)(j) for j in range(x)))\n"
                "    print(Parallel(n_jobs=2, backend='threading')(delayed(inner)(i) for i in range(4)))\n")
        _, proc, trace = self.run_traced(body)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(proc.stdout, b"[0, 0, 1, 5]\n")
        tasks = tasks_of(trace)
        runs = {tid: t["TASK_RUN"][0] for tid, t in tasks.items()}
        outer = [r for r in runs.values() if trace.blob(r) == "inner"]
        inner = [r for r in runs.values() if trace.blob(r) == "square"]
        self.assertEqual(len(outer), 4)
        self.assertEqual(len(inner), 0 + 1 + 2 + 3)
        for r in inner:
            host = [o for o in outer if o.ident == r.ident and o.ts <= r.ts and r.end <= o.end]
            self.assertEqual(len(host), 1, "inside the outer call on its worker thread")
            self.assertEqual(tasks[r.obj]["TASK_SUBMIT"][0].ident, r.ident, "submitted by that thread")
        for t in tasks.values():
            self.assertEqual([x.a for x in t["TASK_RESULT"]], [1])


if __name__ == "__main__":
    unittest.main()
