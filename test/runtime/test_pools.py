"""multiprocessing.Pool / ThreadPool and concurrent.futures executors: one task
per call of the user's function, with submit / run / result records."""
import collections
import multiprocessing
import os
import subprocess
import sys
import tempfile
import unittest

from test.runtime import pythons, tracefile

METHODS = multiprocessing.get_all_start_methods()

HEADER = """import multiprocessing as mp, os, sys, threading, time
from multiprocessing.pool import ThreadPool
from concurrent.futures import ThreadPoolExecutor, ProcessPoolExecutor, as_completed
def square(x):
    return x * x
def add(a, b):
    return a + b
def boom(x):
    if x == 3:
        raise ValueError("boom %d" % x)
    return x
def started_pool(n):
    # a Pool whose workers are all running: Pool.__exit__ terminates them,
    # and a worker killed while the tracer opens its log leaves a headerless file
    q = mp.SimpleQueue()
    pool = mp.Pool(n, initializer=q.put, initargs=(1,))
    for _ in range(n):
        q.get()
    return pool
"""
MAIN = """
if __name__ == "__main__":
    if len(sys.argv) > 1:
        mp.set_start_method(sys.argv[1])
"""


def line_of(code, text):
    return next(n for n, line in enumerate(code.splitlines(), 1) if text in line)


def tasks_of(trace):
    """task id -> {"TASK_SUBMIT": [...], "TASK_RUN": [...], "TASK_RESULT": [...]}"""
    tasks = collections.defaultdict(lambda: collections.defaultdict(list))
    for r in trace.of("TASK_SUBMIT", "TASK_RUN", "TASK_RESULT"):
        tasks[r.obj][r.name].append(r)
    return tasks


class _Checks:
    def run_script(self, body, *args):
        self.code = HEADER + MAIN + body
        proc, trace = tracefile.run(self.code, *args)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        return proc, trace

    def assertCompleteTasks(self, trace, n, ok=1):
        """n tasks, each submitted once, run once, delivered once, in that order."""
        tasks = tasks_of(trace)
        self.assertEqual(len(tasks), n, sorted((k, sorted(v)) for k, v in tasks.items()))
        for tid, recs in tasks.items():
            self.assertEqual(sorted((k, len(v)) for k, v in recs.items()),
                             [("TASK_RESULT", 1), ("TASK_RUN", 1), ("TASK_SUBMIT", 1)], tid)
            submit, run, result = recs["TASK_SUBMIT"][0], recs["TASK_RUN"][0], recs["TASK_RESULT"][0]
            self.assertTrue(submit.ts <= run.ts <= run.end <= result.ts, (submit, run, result))
            self.assertEqual(result.a, ok)
            self.assertLess(tid, 2 ** 52)
        return tasks

    def owned_workers(self, trace, kind):
        owners = {r.obj for r in trace.of("OBJECT") if trace.blob(r) == kind}
        self.assertEqual(len(owners), 1, kind)
        owner = owners.pop()
        return owner, {s.obj for s in trace.of("PROCESS_SPAWN") if s.a == owner}


class _PerMethod(_Checks):
    METHOD = None

    def setUp(self):
        if self.METHOD not in METHODS:
            self.skipTest("start method %s not available" % self.METHOD)

    def test_pool_map_gives_one_task_per_element_with_worker_and_times(self):
        proc, trace = self.run_script("""
    with started_pool(4) as pool:
        print(pool.map(square, range(6)))
""", self.METHOD)
        self.assertEqual(proc.stdout.strip(), b"[0, 1, 4, 9, 16, 25]")
        tasks = self.assertCompleteTasks(trace, 6)
        pool, workers = self.owned_workers(trace, "Pool")
        self.assertEqual(len(workers), 4)
        main = trace.of("OBJECT")[0].pid
        runs = sorted((t["TASK_RUN"][0] for t in tasks.values()), key=lambda r: int(trace.blob(r, "b")))
        self.assertEqual([trace.blob(r, "b") for r in runs], [str(i) for i in range(6)])
        for t in tasks.values():
            submit, run, result = t["TASK_SUBMIT"][0], t["TASK_RUN"][0], t["TASK_RESULT"][0]
            self.assertIn(run.pid, workers)
            self.assertEqual(trace.blob(run), "square")
            self.assertEqual((submit.pid, submit.a), (main, pool))
            self.assertEqual(trace.blob(submit, "b"), "square")
            self.assertEqual(trace.site(submit)[1], line_of(self.code, "pool.map("))
            self.assertEqual(result.pid, main)
        # every worker's end is seen by the parent (Pool.__exit__ terminates them)
        ended = {j.obj: j.a for j in trace.of("PROCESS_JOIN") if j.b == 1}
        self.assertEqual(set(ended), workers)
        self.assertTrue(set(ended.values()) <= {0, -15}, ended)

    def test_every_pool_api_and_chunksize(self):
        proc, trace = self.run_script("""
    pool = mp.Pool(2)
    print(pool.apply(square, (7,)))
    r = pool.apply_async(add, (1, 2)); print(r.get())
    m = pool.map_async(square, range(5), chunksize=2); m.wait(); print(m.get())
    print(pool.starmap(add, [(1, 2), (3, 4)], chunksize=2))
    print(list(pool.imap(square, range(4))))
    print(list(pool.imap(square, range(5), chunksize=3)))
    print(sorted(pool.imap_unordered(square, range(3))))
    print(sorted(pool.imap_unordered(square, range(5), chunksize=2)))
    print(pool.starmap_async(add, [(5, 6)]).get())
    print(pool.map(square, range(7), chunksize=3))
    pool.close(); pool.join()
""", self.METHOD)
        self.assertEqual(proc.stdout.decode().split("\n")[:3], ["49", "3", "[0, 1, 4, 9, 16]"])
        n = 1 + 1 + 5 + 2 + 4 + 5 + 3 + 5 + 1 + 7
        tasks = self.assertCompleteTasks(trace, n)
        _, workers = self.owned_workers(trace, "Pool")
        summaries = collections.Counter(trace.blob(t["TASK_RUN"][0], "b") for t in tasks.values())
        self.assertEqual(summaries["1, 2"], 2)       # apply_async(add, (1, 2)) and starmap
        self.assertEqual(summaries["5, 6"], 1)
        for t in tasks.values():
            self.assertIn(t["TASK_RUN"][0].pid, workers)
        # close() + join(): workers leave on the sentinel, exit code 0
        self.assertEqual({j.obj: j.a for j in trace.of("PROCESS_JOIN") if j.b}, dict.fromkeys(workers, 0))

    def test_replacement_workers_belong_to_their_pool(self):
        proc, trace = self.run_script("""
    pool = mp.Pool(2, maxtasksperchild=1)
    print(len(set(pool.map(os.getpid, [()] * 0) + pool.starmap(os.getpid, [()] * 4, chunksize=1))))
    pool.close(); pool.join()
""", self.METHOD)
        self.assertEqual(proc.stdout.strip(), b"4")
        tasks = self.assertCompleteTasks(trace, 4)
        _, workers = self.owned_workers(trace, "Pool")
        self.assertGreaterEqual(len(workers), 4)
        self.assertTrue({t["TASK_RUN"][0].pid for t in tasks.values()} <= workers)

    def test_a_raising_element_is_reported_and_the_traceback_is_unchanged(self):
        body = """
    with started_pool(2) as pool:
        try:
            pool.map(boom, range(5), chunksize=2)
        except ValueError as e:
            print(e)
            print(str(e.__cause__).replace(os.path.dirname(mp.__file__), "MP"))
"""
        proc, trace = self.run_script(body, self.METHOD)
        with tempfile.TemporaryDirectory() as tmp:
            script = os.path.join(tmp, "script.py")
            with open(script, "w") as f:
                f.write(self.code)
            plain = subprocess.run([sys.executable, script, self.METHOD], capture_output=True, cwd=tmp)
        self.assertEqual(proc.stdout.decode(), plain.stdout.decode().replace(tmp, os.path.dirname(trace.script)))
        self.assertIn("boom 3", proc.stdout.decode())
        tasks = tasks_of(trace)
        runs = {trace.blob(t["TASK_RUN"][0], "b"): t for t in tasks.values() if t["TASK_RUN"]}
        self.assertEqual(sorted(runs), ["0", "1", "2", "3", "4"])
        self.assertEqual(runs["3"]["TASK_RESULT"][0].a, 0)     # chunk (2, 3) raised
        self.assertEqual(runs["2"]["TASK_RESULT"][0].a, 0)
        self.assertEqual(runs["4"]["TASK_RESULT"][0].a, 1)

    def test_process_pool_executor_submit_map_as_completed(self):
        proc, trace = self.run_script("""
    with ProcessPoolExecutor(2) as ex:
        fs = [ex.submit(square, i) for i in range(3)]
        print(sorted(f.result() for f in as_completed(fs)))
        print(list(ex.map(square, range(5), chunksize=2)))
        print(list(ex.map(add, [1, 2], [3, 4])))
""", self.METHOD)
        self.assertEqual(proc.stdout.decode().split(), ["[0,", "1,", "4]", "[0,", "1,", "4,", "9,", "16]",
                                                        "[4,", "6]"])
        tasks = self.assertCompleteTasks(trace, 3 + 5 + 2)
        executor, workers = self.owned_workers(trace, "ProcessPoolExecutor")
        self.assertTrue(workers)
        for t in tasks.values():
            self.assertIn(t["TASK_RUN"][0].pid, workers)
            self.assertEqual(t["TASK_SUBMIT"][0].a, executor)
        lines = collections.Counter(trace.site(t["TASK_SUBMIT"][0])[1] for t in tasks.values())
        self.assertEqual(lines, {line_of(self.code, "ex.submit("): 3, line_of(self.code, "range(5), chunksize"): 5,
                                 line_of(self.code, "ex.map(add"): 2})

    def test_process_pool_executor_exception_and_chunk(self):
        proc, trace = self.run_script("""
    with ProcessPoolExecutor(2) as ex:
        try:
            list(ex.map(boom, range(5), chunksize=2))
        except ValueError as e:
            print(e)
""", self.METHOD)
        self.assertEqual(proc.stdout.strip(), b"boom 3")
        tasks = tasks_of(trace)
        results = {trace.blob(t["TASK_RUN"][0], "b"): t["TASK_RESULT"][0].a for t in tasks.values() if t["TASK_RUN"]}
        # map's iterator cancels the futures still pending when chunk (2, 3) raises:
        # the last chunk (4,) ran only if a worker had already taken it
        never_ran = [t["TASK_RESULT"][0].a for t in tasks.values() if not t["TASK_RUN"]]
        expected = {"0": 1, "1": 1, "2": 0, "3": 0, "4": 1}
        if never_ran:
            self.assertEqual(never_ran, [2])    # cancelled before it ran
            del expected["4"]
        self.assertEqual(results, expected)


class ForkPools(_PerMethod, unittest.TestCase):
    METHOD = "fork"


class SpawnPools(_PerMethod, unittest.TestCase):
    METHOD = "spawn"


class ForkserverPools(_PerMethod, unittest.TestCase):
    METHOD = "forkserver"


class ThreadPools(_Checks, unittest.TestCase):
    def test_thread_pool_tasks_run_on_worker_threads(self):
        proc, trace = self.run_script("""
    pool = ThreadPool(3)
    print(pool.map(square, range(5), chunksize=2))
    print(pool.apply_async(add, (2, 3)).get())
    pool.close(); pool.join()
""")
        self.assertEqual(proc.stdout.split(), [b"[0,", b"1,", b"4,", b"9,", b"16]", b"5"])
        tasks = self.assertCompleteTasks(trace, 6)
        # Python.* objects: the state the pool's threads share (py_state).
        self.assertEqual({trace.blob(r) for r in trace.of("OBJECT") if not trace.blob(r).startswith("Python.")}, {"ThreadPool"})
        main_ident = trace.of("OBJECT")[0].ident
        for t in tasks.values():
            self.assertNotEqual(t["TASK_RUN"][0].ident, main_ident)
        # no worker process (3.14+: the pool's SimpleQueue lock starts the resource tracker, a helper)
        helpers = {r.pid for r in trace.of("PROCESS_START") if "resource_tracker" in trace.blob(r, "b")}
        self.assertEqual(len(set(trace.pids()) - helpers), 1)

    def test_thread_pool_executor_submit_map_as_completed(self):
        proc, trace = self.run_script("""
    with ThreadPoolExecutor(2) as ex:
        fs = [ex.submit(square, i) for i in range(3)]
        print(sorted(f.result() for f in as_completed(fs)))
        print(list(ex.map(add, [1, 2], [3, 4])))
        f = ex.submit(boom, 3)
        print(type(f.exception()).__name__)
""")
        self.assertEqual(proc.stdout.split(), [b"[0,", b"1,", b"4]", b"[4,", b"6]", b"ValueError"])
        tasks = tasks_of(trace)
        self.assertEqual(len(tasks), 6)
        executor = next(r.obj for r in trace.of("OBJECT") if trace.blob(r) == "ThreadPoolExecutor")
        main_ident = trace.of("OBJECT")[0].ident
        outcome = {}
        for t in tasks.values():
            submit, run, result = t["TASK_SUBMIT"][0], t["TASK_RUN"][0], t["TASK_RESULT"][0]
            self.assertTrue(submit.ts <= run.ts <= run.end <= result.ts)
            self.assertEqual((submit.a, submit.ident), (executor, main_ident))
            self.assertNotEqual(run.ident, main_ident)
            outcome[(trace.blob(run), trace.blob(run, "b"))] = result.a
        self.assertEqual(outcome, {("square", "0"): 1, ("square", "1"): 1, ("square", "2"): 1,
                                   ("add", "1, 3"): 1, ("add", "2, 4"): 1, ("boom", "3"): 0})

    def test_cancelled_future_is_a_cancelled_result_without_run(self):
        proc, trace = self.run_script("""
    gate = threading.Event()
    with ThreadPoolExecutor(1) as ex:
        first = ex.submit(gate.wait)
        second = ex.submit(square, 2)
        print(second.cancel())
        gate.set()
""")
        self.assertEqual(proc.stdout.strip(), b"True")
        tasks = tasks_of(trace)
        self.assertEqual(len(tasks), 2)
        cancelled = [t for t in tasks.values() if t["TASK_RESULT"][0].a == 2]
        self.assertEqual(len(cancelled), 1)
        self.assertEqual(cancelled[0]["TASK_RUN"], [])

    def test_argument_summary_is_short_and_a_failing_repr_breaks_nothing(self):
        proc, trace = self.run_script("""
    class Bad:
        def __repr__(self):
            raise RuntimeError("no repr")
    def ident(x):
        return x
    with ThreadPoolExecutor(1) as ex:
        print(type(ex.submit(ident, Bad()).result()).__name__)
        print(len(ex.submit(ident, "y" * 500).result()))
    print(ThreadPool(1).apply(ident, (list(range(1000)),))[-1])
""")
        self.assertEqual(proc.stdout.split(), [b"Bad", b"500", b"999"])
        summaries = [trace.blob(r, "b") for r in trace.of("TASK_RUN")]
        self.assertEqual(len(summaries), 3)
        self.assertTrue(all(len(s) <= 60 for s in summaries), summaries)
        self.assertTrue(summaries[1].startswith("'yyy"))
        self.assertTrue(summaries[2].startswith("[0, 1, 2"))



class EveryPython(unittest.TestCase):
    def test_each_element_of_a_process_pool_executor_map_chunk_is_a_task_on_every_python(self):
        # 3.8's submit() hands its arguments on as a list (`self, fn, *args = args`): a chunk
        # was then one task, its first element's, and the other elements had no run.
        code = HEADER + MAIN + """
    with ProcessPoolExecutor(2) as ex:
        print(list(ex.map(square, range(6), chunksize=3)))
"""
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                proc, trace = tracefile.run(code, "spawn", python=python)
                self.assertEqual(proc.returncode, 0, proc.stderr.decode())
                self.assertEqual(proc.stdout.split(), [b"[0,", b"1,", b"4,", b"9,", b"16,", b"25]"])
                runs = trace.of("TASK_RUN")
                self.assertEqual(sorted(trace.blob(r, "b") for r in runs), ["0", "1", "2", "3", "4", "5"])
                self.assertEqual({r.obj for r in runs}, {r.obj for r in trace.of("TASK_SUBMIT")})


if __name__ == "__main__":
    unittest.main()
