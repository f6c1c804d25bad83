"""dask's local schedulers under Debian's /usr/bin/python3: each key is a
task (the scheduler's batch is not one), labelled with the key."""
import subprocess
import unittest

from test.runtime import tracefile
from concurrency_trace import lib_dask

DEBIAN = "/usr/bin/python3"


def _has_dask():
    try:
        return subprocess.run([DEBIAN, "-c", "import dask"], capture_output=True).returncode == 0
    except OSError:
        return False


HAS_DASK = _has_dask()

CODE = """import sys
import dask
@dask.delayed(pure=True)
def half(x):
    if x == 3:
        raise ValueError("odd one")
    return x / 2
@dask.delayed(pure=True)
def total(xs):
    return sum(xs)
if __name__ == "__main__":
    n = int(sys.argv[2])
    try:
        print(dask.compute(total([half(i) for i in range(n)]), scheduler=sys.argv[1], num_workers=2)[0])
    except ValueError as e:
        print("caught", e)
"""


def tasks_of(trace):
    tasks = {}
    for r in trace.of("TASK_SUBMIT", "TASK_RUN", "TASK_RESULT"):
        tasks.setdefault(r.obj, {}).setdefault(r.name, []).append(r)
    return tasks


class KeyText(unittest.TestCase):
    def test_a_tuple_key_keeps_its_whole_name_and_its_indices(self):
        name = "sum-aggregate-5574651bc30acd15749e7b4fc8f5f475"
        self.assertEqual(lib_dask.key_text((name, 0, 3)), "('%s', 0, 3)" % name)
        self.assertEqual(lib_dask.key_text((name,)), "('%s',)" % name)

    def test_a_name_longer_than_80_characters_ends_in_an_ellipsis(self):
        text = lib_dask.key_text(("x" * 100, 1))
        self.assertEqual(text, "('%s\u2026', 1)" % ("x" * 79))
        self.assertEqual(lib_dask.key_text("y" * 100), "y" * 79 + "\u2026")

    def test_a_key_holding_user_objects_never_runs_their_code(self):
        calls = []

        class Spy(str):
            def __repr__(self):
                calls.append("repr")
                return "spy"

            def __str__(self):
                calls.append("str")
                return "spy"
        lib_dask.key_text(("name", Spy("x"), 1))
        lib_dask.key_text((Spy("name"), 1))
        lib_dask.key_text(Spy("key"))
        self.assertEqual(calls, [])


@unittest.skipUnless(HAS_DASK, "Debian python3-dask is not installed")
class DaskTasks(unittest.TestCase):
    def test_each_key_is_one_task_on_every_local_scheduler(self):
        for scheduler in ("threads", "processes", "synchronous"):
            with self.subTest(scheduler=scheduler):
                proc, trace = tracefile.run(CODE, scheduler, "3", python=DEBIAN)
                self.assertEqual(proc.returncode, 0, proc.stderr.decode())
                self.assertEqual(proc.stdout, b"1.5\n")
                tasks = tasks_of(trace)
                labels = sorted(trace.blob(t["TASK_SUBMIT"][0], "b").split("-")[0] for t in tasks.values())
                self.assertEqual(labels, ["half", "half", "half", "total"])
                for tid, t in tasks.items():
                    self.assertEqual([len(t.get(k, ())) for k in ("TASK_SUBMIT", "TASK_RUN", "TASK_RESULT")],
                                     [1, 1, 1], tid)
                    self.assertEqual(trace.blob(t["TASK_RUN"][0]), trace.blob(t["TASK_SUBMIT"][0], "b"))
                    self.assertEqual(t["TASK_RESULT"][0].a, 1)

    def test_a_key_that_raises_is_a_failed_task_under_the_synchronous_scheduler(self):
        proc, trace = tracefile.run(CODE, "synchronous", "5", python=DEBIAN)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(proc.stdout, b"caught odd one\n")
        tasks = tasks_of(trace)
        # half(3) raised: the scheduler re-raises it, so its batch failed and its key's result is 0
        results = {trace.blob(t["TASK_RUN"][0]): [r.a for r in t.get("TASK_RESULT", ())] for t in tasks.values()}
        self.assertEqual(sorted(results.values()).count([0]), 1, results)
        self.assertTrue(all(v in ([0], [1]) for v in results.values()), results)
        self.assertEqual(len({r.ident for r in trace.of("TASK_SUBMIT", "TASK_RUN", "TASK_RESULT")}), 1,
                         "all in the caller's thread")

    def test_on_a_multiprocessing_thread_pool_the_keys_run_as_tasks_and_the_batches_are_no_tasks(self):
        code = CODE.replace("scheduler=sys.argv[1], num_workers=2", "scheduler='threads', pool=pool")
        code = code.replace('    n = int(sys.argv[2])\n', '    n = int(sys.argv[2])\n    from multiprocessing.pool import ThreadPool\n    pool = ThreadPool(2)\n')
        proc, trace = tracefile.run(code, "-", "3", python=DEBIAN)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(proc.stdout, b"1.5\n")
        runs = trace.of("TASK_RUN")
        self.assertEqual(sorted(trace.blob(r).split("-")[0] for r in runs), ["half", "half", "half", "total"])
        ids = {r.obj for r in runs}
        others = [r for r in trace.of("TASK_SUBMIT", "TASK_RESULT") if r.obj not in ids]
        self.assertEqual(others, [], "no submit or result of a batch")


if __name__ == "__main__":
    unittest.main()
