"""ASYNC_WAIT: what each suspended asyncio task waits on, on every traced
CPython (events.py, asyncio_waits.py)."""
import sys
import unittest

from test.runtime import pythons, tracefile

SLEEP, FUTURE, TASK, GATHER, WAIT_ALL, WAIT_ANY, WAIT_FIRST_EXCEPTION, TASK_GROUP = 1, 2, 3, 4, 5, 6, 7, 8
QUEUE_GET, QUEUE_PUT, QUEUE_JOIN, LOCK, EVENT, CONDITION, SEMAPHORE, BARRIER, IO = (
    9, 10, 11, 12, 13, 14, 15, 16, 17)

# Each awaiting line ends with "# W:<kind>"; the test finds its ASYNC_WAIT by line.
WAITS = """
import asyncio
import sys

async def worker(n):
    await asyncio.sleep(0.05)  # W:SLEEP
    return n

async def holder(lock, ev, cond, sem, q):
    async with lock:
        await asyncio.sleep(0.02)  # W:SLEEP
    await ev.wait()  # W:EVENT
    async with cond:
        await cond.wait()  # W:CONDITION
    async with sem:  # W:SEMAPHORE
        pass
    await q.put(2)  # W:QUEUE_PUT

async def echo(reader, writer):
    data = await reader.read(100)  # W:IO
    writer.write(data)
    await writer.drain()
    writer.close()

async def main():
    lock, ev, cond = asyncio.Lock(), asyncio.Event(), asyncio.Condition()
    sem, q = asyncio.Semaphore(1), asyncio.Queue(maxsize=1)
    q.put_nowait(1)
    h = asyncio.create_task(holder(lock, ev, cond, sem, q))
    await asyncio.sleep(0)
    await lock.acquire()  # W:LOCK
    lock.release()
    ev.set()
    await asyncio.sleep(0.01)  # W:SLEEP
    async with cond:
        cond.notify_all()
    async with sem:
        await asyncio.sleep(0.01)  # W:SLEEP
    await asyncio.sleep(0.01)  # W:SLEEP
    print(q.get_nowait())
    await h  # W:TASK
    print(await q.get())
    t = asyncio.create_task(worker(1))
    print(await asyncio.wait_for(t, 5))  # W:TASK
    print(await asyncio.gather(worker(2), worker(3)))  # W:GATHER
    done, _ = await asyncio.wait([asyncio.create_task(worker(4))], return_when=asyncio.FIRST_COMPLETED)  # W:WAIT_ANY
    await asyncio.wait([asyncio.create_task(worker(5))])  # W:WAIT_ALL
    for f in asyncio.as_completed([asyncio.create_task(worker(6))]):
        print(await f)  # W:WAIT_ANY
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    loop.call_later(0.01, fut.set_result, 7)
    print(await fut)  # W:FUTURE
    empty = asyncio.Queue()
    getter = asyncio.create_task(empty.get())
    await asyncio.sleep(0)
    empty.put_nowait(8)
    print(await getter)
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(0.02)  # W:SLEEP
    writer.write(b"hi")
    print(await reader.read(100))  # W:IO
    writer.close()
    server.close()
    if sys.version_info >= (3, 11):
        async with asyncio.TaskGroup() as tg:  # W:TASK_GROUP
            tg.create_task(worker(9))
        barrier = asyncio.Barrier(2)
        await asyncio.gather(barrier.wait(), barrier.wait())

asyncio.run(main())
"""

OUTPUT_HEAD = b"1\n2\n1\n[2, 3]\n6\n7\n8\nb'hi'\n"


def marked_lines(text):
    """line -> kind name of every '# W:' line."""
    out = {}
    for i, line in enumerate(text.splitlines(), 1):
        if "# W:" in line:
            out[i] = line.split("# W:")[1].strip()
    return out


def waits_by_line(trace):
    by_line = {}
    for r in trace.of("ASYNC_WAIT"):
        by_line.setdefault(trace.site(r)[1], []).append(r)
    return by_line


class AwaitSpans(unittest.TestCase):
    def check_program(self, python):
        proc, trace = tracefile.run(WAITS, python=python)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, OUTPUT_HEAD)
        names = {v: k for k, v in globals().items() if type(v) is int and k.isupper()}
        by_line = waits_by_line(trace)
        version = trace.of("PROCESS_START")  # (one process)
        self.assertEqual(len(version), 1)
        for line, kind in marked_lines(WAITS).items():
            if kind in ("TASK_GROUP",) and self.version(python) < (3, 11):
                continue
            got = by_line.get(line, [])
            self.assertTrue(got, "no wait recorded at line %d (%s)" % (line, kind))
            self.assertIn(globals()[kind], [r.b for r in got],
                          "line %d: %s expected, got %s" % (line, kind, [names.get(r.b) for r in got]))
            for r in got:
                self.assertGreater(r.end, r.ts, "line %d: every wait ended" % line)
        return trace, by_line

    def version(self, python):
        for v, path in pythons.traced_pythons():
            if path == python:
                return tuple(map(int, v.split(".")))
        return sys.version_info[:2]

    def test_every_kind_of_await_is_a_wait_at_the_users_line_on_every_python(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                self.check_program(python)

    def test_waits_name_the_task_or_group_that_satisfies_them(self):
        trace, by_line = self.check_program(sys.executable)
        task_lines = [line for line, kind in marked_lines(WAITS).items() if kind == "TASK"]
        creates = {r.obj: r for r in trace.of("ASYNC_CREATE")}
        ends = {r.obj: r for r in trace.of("ASYNC_END")}
        members = {}
        for m in trace.of("TASK_WAIT_MEMBER"):
            self.assertEqual(m.b, 1)
            members.setdefault(m.obj, []).append(m.a)
        task_waits = [r for line in task_lines for r in by_line[line] if r.b == TASK]
        self.assertEqual(len(task_waits), 2)
        for w in task_waits:
            self.assertIn(w.a, creates, "a is the awaited task's id")
            self.assertLessEqual(ends[w.a].ts, w.end, "the awaited task ended before the wait did")
            self.assertNotEqual(w.a, w.obj)
        gather_line = [line for line, kind in marked_lines(WAITS).items() if kind == "GATHER"][0]
        gather = [r for r in by_line[gather_line] if r.b == GATHER]
        self.assertEqual(len(gather), 1)
        self.assertEqual(len(members[gather[0].a]), 2)
        for t in members[gather[0].a]:
            self.assertEqual(trace.blob(creates[t], "b"), "worker")
            self.assertLessEqual(ends[t].ts, gather[0].end)
        wait_lines = [i for i, line in enumerate(WAITS.splitlines(), 1) if "asyncio.wait([" in line]
        waits = [r for line in wait_lines for r in by_line[line] if r.b in (WAIT_ANY, WAIT_ALL)]
        self.assertEqual(len(waits), 2)
        for w in waits:
            self.assertEqual(len(members[w.a]), 1)
        sleeps = [r for r in trace.of("ASYNC_WAIT") if r.b == SLEEP and r.end - r.ts >= 45e6]
        self.assertTrue(sleeps, "sleep(0.05) is a wait of at least 45 ms")

    def test_wait_spans_alternate_with_the_steps_of_their_task(self):
        proc, trace = tracefile.run(WAITS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        steps = {}
        for r in trace.of("ASYNC_RUN", "ASYNC_WAIT"):
            steps.setdefault(r.obj, []).append(r)
        for task, recs in steps.items():
            recs.sort(key=lambda r: (r.ts, r.name != "ASYNC_RUN"))
            for a, b in zip(recs, recs[1:]):
                self.assertLessEqual(a.end, b.ts + 1, "task %d: %s then %s overlap" % (task, a.name, b.name))
            for a, b in zip(recs, recs[1:]):
                if a.name == "ASYNC_WAIT":
                    self.assertEqual(b.name, "ASYNC_RUN", "a wait is followed by a step")

    def test_a_task_still_waiting_when_the_process_ends_has_an_open_wait(self):
        proc, trace = tracefile.run(
            "import asyncio, os\n"
            "async def stuck(ev):\n"
            "    await ev.wait()\n"
            "loop = asyncio.new_event_loop()\n"
            "asyncio.set_event_loop(loop)\n"    # 3.8-3.9: the Event binds the current loop
            "ev = asyncio.Event()\n"
            "t = loop.create_task(stuck(ev))\n"
            "loop.run_until_complete(asyncio.sleep(0.02))\n"
            "os._exit(3)\n")
        self.assertEqual(proc.returncode, 3, proc.stderr)
        waits = [r for r in trace.of("ASYNC_WAIT") if r.b == EVENT]
        self.assertEqual(len(waits), 1)
        self.assertEqual(waits[0].end, 0)
        self.assertEqual(trace.site(waits[0])[1], 3)

    def test_bare_yield_is_not_a_wait(self):
        proc, trace = tracefile.run(
            "import asyncio\n"
            "async def main():\n"
            "    for _ in range(5):\n"
            "        await asyncio.sleep(0)\n"
            "asyncio.run(main())\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(trace.of("ASYNC_RUN")), 6)
        self.assertEqual(trace.of("ASYNC_WAIT"), [])


if __name__ == "__main__":
    unittest.main()
