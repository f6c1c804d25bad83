import sys
import unittest

from test.runtime import tracefile

TASKS = """
import asyncio
import sys

async def child(n):
    await asyncio.sleep(0.01)
    await asyncio.sleep(0)
    if n == 2:
        raise ValueError("two")
    return n

async def forever():
    await asyncio.sleep(100)

async def main():
    solo = asyncio.create_task(child(1), name="solo")
    results = await asyncio.gather(child(1), child(2), return_exceptions=True)
    f = asyncio.ensure_future(forever())
    await asyncio.sleep(0)
    f.cancel()
    try:
        await f
    except asyncio.CancelledError:
        pass
    await solo
    if sys.version_info >= (3, 11):
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child(5), name="tg5")
    print(results, solo.result())

asyncio.run(main())
"""


def line_of(text, needle):
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def by_task(trace):
    """task id -> {"create": rec, "runs": [recs], "end": rec}"""
    tasks = {}
    for r in trace.of("ASYNC_CREATE", "ASYNC_RUN", "ASYNC_END"):
        t = tasks.setdefault(r.obj, {"create": None, "runs": [], "end": None})
        if r.name == "ASYNC_CREATE":
            t["create"] = r
        elif r.name == "ASYNC_RUN":
            t["runs"].append(r)
        else:
            t["end"] = r
    return tasks


class TaskLifecycle(unittest.TestCase):
    def test_each_task_has_create_runs_and_end_with_names_and_sites(self):
        proc, trace = tracefile.run(TASKS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"[1, ValueError('two')] 1\n")
        tasks = by_task(trace)
        expected = [("Task-1", "main", "asyncio.run(main())", 1),
                    ("solo", "child", 'name="solo"', 1),
                    (None, "child", "asyncio.gather", 1),
                    (None, "child", "asyncio.gather", 0),
                    (None, "forever", "ensure_future", 2)]
        if sys.version_info >= (3, 11):
            expected.append(("tg5", "child", "tg.create_task", 1))
        creates = [t["create"] for t in tasks.values()]
        self.assertTrue(all(creates), "every task that ran has a create record")
        creates.sort(key=lambda r: r.ts)
        self.assertEqual(len(creates), len(expected), [trace.blob(r, "b") for r in creates])
        for rec, (name, coro, needle, status) in zip(creates, expected):
            task = tasks[rec.obj]
            if name is not None:
                self.assertEqual(trace.blob(rec), name)
            else:
                self.assertRegex(trace.blob(rec), r"^Task-\d+$")
            self.assertEqual(trace.blob(rec, "b"), coro)
            self.assertEqual(trace.site(rec)[1], line_of(TASKS, needle))
            self.assertGreaterEqual(len(task["runs"]), 1)
            self.assertIsNotNone(task["end"], coro)
            self.assertEqual(task["end"].a, status)
            for run in task["runs"]:
                self.assertGreaterEqual(run.ts, rec.ts)
                self.assertGreaterEqual(run.end, run.ts)
                self.assertLessEqual(run.end, task["end"].ts)
        # child(): start, after sleep(0.01), after sleep(0): three steps.
        self.assertEqual(len(tasks[creates[1].obj]["runs"]), 3)
        raised = tasks[creates[3].obj]["end"]
        self.assertEqual(trace.blob(raised, "b"), "ValueError: two")

    def test_steps_of_one_loop_never_overlap(self):
        proc, trace = tracefile.run(TASKS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        runs = sorted(trace.of("ASYNC_RUN"), key=lambda r: r.ts)
        self.assertGreater(len(runs), 10)
        for a, b in zip(runs, runs[1:]):
            self.assertLessEqual(a.end, b.ts)

    def test_loop_in_another_thread_records_that_thread(self):
        proc, trace = tracefile.run(
            "import asyncio, threading\n"
            "async def job():\n"
            "    await asyncio.sleep(0)\n"
            "    return threading.get_ident()\n"
            "out = []\n"
            "t = threading.Thread(target=lambda: out.append(asyncio.run(job())))\n"
            "t.start(); t.join()\n"
            "print(out[0] != threading.get_ident())\n")
        self.assertEqual(proc.stdout, b"True\n", proc.stderr)
        idents = {r.ident for r in trace.of("ASYNC_CREATE", "ASYNC_RUN", "ASYNC_END")}
        worker = [r.ident for r in trace.of("THREAD_START") if r.ident != trace.of("PROCESS_START")[0].ident]
        self.assertEqual(len(idents), 1)
        self.assertIn(idents.pop(), worker)

    def test_asyncio_run_shutdown_plumbing_is_not_a_user_task(self):
        proc, trace = tracefile.run("import asyncio\n"
                                    "async def main():\n"
                                    "    return 1\n"
                                    "asyncio.run(main())\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([trace.blob(r, "b") for r in trace.of("ASYNC_CREATE")], ["main"])

    def test_a_task_running_an_installed_packages_coroutine_names_that_package(self):
        proc, trace = tracefile.run(
            "import asyncio, os, sys\n"
            "os.makedirs(os.path.join('site-packages', 'somelib'), exist_ok=True)\n"
            "with open(os.path.join('site-packages', 'somelib', '__init__.py'), 'w') as f:\n"
            "    f.write('import asyncio\\nasync def beat():\\n    await asyncio.sleep(0)\\n'\n"
            "            'async def start(mine):\\n    await asyncio.gather(asyncio.ensure_future(beat()), mine)\\n')\n"
            "sys.path.insert(0, os.path.abspath('site-packages'))\n"
            "import somelib\n"
            "async def mine():\n"
            "    await asyncio.sleep(0)\n"
            "async def main():\n"
            "    await asyncio.create_task(somelib.start(mine()))\n"
            "asyncio.run(main())\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        package = {trace.blob(r, "b"): trace.blobs.get((r.pid, r.end)) if r.end else None
                   for r in trace.of("ASYNC_CREATE")}
        self.assertEqual(package, {"main": None, "start": "somelib", "beat": "somelib", "mine": None})


class SemanticsKept(unittest.TestCase):
    def test_factory_current_task_cancel_and_subclass_behave_as_untraced(self):
        code = (
            "import asyncio\n"
            "class MyTask(asyncio.Task):\n"
            "    pass\n"
            "made = []\n"
            "def factory(loop, coro, **kw):\n"
            "    t = MyTask(coro, loop=loop, **kw)\n"
            "    made.append(t)\n"
            "    return t\n"
            "async def inner():\n"
            "    return asyncio.current_task()\n"
            "async def sleeper():\n"
            "    await asyncio.sleep(10)\n"
            "async def main():\n"
            "    loop = asyncio.get_running_loop()\n"
            "    print(loop.get_task_factory() is None)\n"
            "    loop.set_task_factory(factory)\n"
            "    print(loop.get_task_factory() is factory)\n"
            "    t = asyncio.ensure_future(inner())\n"
            "    print(type(t).__name__, (await t) is t, made[-1] is t)\n"
            "    s = loop.create_task(sleeper())\n"
            "    await asyncio.sleep(0)\n"
            "    print(s.cancel(), s.cancelled())\n"
            "    try:\n"
            "        await s\n"
            "    except asyncio.CancelledError:\n"
            "        print('cancelled')\n"
            "    print(s.cancelled(), len(asyncio.all_tasks()))\n"
            "asyncio.run(main())\n")
        proc, trace = tracefile.run(code)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"True\nTrue\nMyTask True True\nTrue False\ncancelled\nTrue 1\n")
        ends = [r.a for r in trace.of("ASYNC_END")]
        self.assertEqual(sorted(ends), [1, 1, 2])

    def test_unretrieved_task_exception_is_still_logged(self):
        proc, trace = tracefile.run(
            "import asyncio, gc\n"
            "async def boom():\n"
            "    raise RuntimeError('lost')\n"
            "async def main():\n"
            "    asyncio.ensure_future(boom())\n"
            "    await asyncio.sleep(0.01)\n"
            "    gc.collect()\n"
            "asyncio.run(main())\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"Task exception was never retrieved", proc.stderr)
        self.assertIn(0, [r.a for r in trace.of("ASYNC_END")])

    def test_failed_task_that_nobody_holds_is_collected_at_once(self):
        # A cycle through the tracer's frame would delay the collection and
        # with it the loop's "exception was never retrieved" handler.
        proc, trace = tracefile.run(
            "import asyncio, weakref\n"
            "called = []\n"
            "async def fail():\n"
            "    1/0\n"
            "async def main():\n"
            "    asyncio.get_running_loop().set_exception_handler(lambda *a: called.append(1))\n"
            "    for make in (asyncio.Task, asyncio.ensure_future):\n"
            "        ref = weakref.ref(make(fail()))\n"
            "        await asyncio.sleep(0)\n"
            "        print(len(called), ref() is None)\n"
            "asyncio.run(main())\n")
        self.assertEqual(proc.stdout, b"1 True\n2 True\n", proc.stderr)
        self.assertEqual([r.a for r in trace.of("ASYNC_END")].count(0), 2)

    def test_task_made_directly_is_announced_at_its_first_step(self):
        proc, trace = tracefile.run(
            "import asyncio\n"
            "async def direct():\n"
            "    return 7\n"
            "async def main():\n"
            "    return await asyncio.Task(direct())\n"
            "print(asyncio.run(main()))\n")
        self.assertEqual(proc.stdout, b"7\n", proc.stderr)
        creates = {trace.blob(r, "b"): r for r in trace.of("ASYNC_CREATE")}
        self.assertEqual(set(creates), {"main", "direct"})
        self.assertEqual(creates["direct"].site, 0)
        self.assertEqual(len([r for r in trace.of("ASYNC_END") if r.obj == creates["direct"].obj]), 1)

    @unittest.skipUnless(sys.version_info >= (3, 12), "eager tasks are 3.12+")
    def test_eager_task_first_step_is_recorded(self):
        proc, trace = tracefile.run(
            "import asyncio\n"
            "async def quick():\n"
            "    return 1\n"
            "async def slow():\n"
            "    await asyncio.sleep(0)\n"
            "    return 2\n"
            "async def main():\n"
            "    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)\n"
            "    a = asyncio.create_task(quick())\n"
            "    b = asyncio.create_task(slow())\n"
            "    print(a.done(), await a, await b)\n"
            "asyncio.run(main())\n")
        self.assertEqual(proc.stdout, b"True 1 2\n", proc.stderr)
        tasks = {trace.blob(t["create"], "b"): t for t in by_task(trace).values() if t["create"]}
        self.assertEqual(len(tasks["quick"]["runs"]), 1)
        self.assertEqual(tasks["quick"]["end"].a, 1)
        self.assertEqual(len(tasks["slow"]["runs"]), 2)
        self.assertEqual(tasks["slow"]["end"].a, 1)

    def test_program_without_asyncio_does_not_import_it(self):
        proc, _ = tracefile.run("import sys, json\nprint('asyncio' in sys.modules)\n")
        self.assertEqual(proc.stdout, b"False\n", proc.stderr)

    def test_asyncio_module_looks_untouched(self):
        proc, _ = tracefile.run(
            "import asyncio, asyncio.events as ev, sys\n"
            "print(asyncio.__loader__ is asyncio.__spec__.loader, type(asyncio.__loader__).__name__,\n"
            "      ev.Handle._run.__name__, asyncio.BaseEventLoop.create_task.__name__)\n"
            "print(any(type(f).__name__ == '_HookLoader' for f in vars(asyncio).values()))\n")
        self.assertEqual(proc.stdout, b"True SourceFileLoader _run create_task\nFalse\n", proc.stderr)


if __name__ == "__main__":
    unittest.main()
