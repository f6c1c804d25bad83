"""Tasks waiting on asyncio's primitives: what asyncio shows of the waiting
(3.14+ call graphs, tracebacks of exceptions raised through the wait) is
what it shows untraced, while the holds and waits are still recorded
(asyncio_returns, asyncio_sync)."""
import re
import subprocess
import textwrap
import unittest

from test.runtime import pythons, tracefile

LOCK = 12

# Every awaitable of asyncio's primitives (and the waits on tasks) with a
# task suspended in it while the graphs are printed.
GRAPHS = """
import asyncio, sys

async def in_lock(lock, ev):
    async with lock:
        await ev.wait()

async def lock_waiter(lock):
    async with lock:
        pass

async def acquire_waiter(lock):
    await lock.acquire()
    lock.release()

async def sem_waiter(sem):
    async with sem:
        pass

async def bounded_waiter(sem):
    await sem.acquire()
    sem.release()

async def getter(q):
    return await q.get()

async def putter(q):
    await q.put(2)

async def cond_waiter(cond):
    async with cond:
        await cond.wait()

async def sleeper():
    await asyncio.sleep(10)

async def gatherer(*tasks):
    await asyncio.gather(*tasks)

async def main():
    lock = asyncio.Lock(); ev = asyncio.Event()
    sem = asyncio.Semaphore(0); bounded = asyncio.BoundedSemaphore(1)
    empty = asyncio.Queue(); full = asyncio.Queue(1); full.put_nowait(1)
    cond = asyncio.Condition()
    await bounded.acquire()
    tasks = [asyncio.create_task(in_lock(lock, ev), name="in_lock")]
    await asyncio.sleep(0)
    tasks += [asyncio.create_task(c, name=c.__name__) for c in (
        lock_waiter(lock), acquire_waiter(lock), sem_waiter(sem), bounded_waiter(bounded),
        getter(empty), putter(full), cond_waiter(cond), sleeper())]
    tasks.append(asyncio.create_task(gatherer(tasks[-1]), name="gatherer"))
    await asyncio.sleep(0.05)
    if sys.version_info >= (3, 14):
        for t in tasks:
            print(asyncio.format_call_graph(t))
        print(asyncio.format_call_graph())
    ev.set(); sem.release(); bounded.release(); empty.put_nowait(3); full.get_nowait()
    async with cond:
        cond.notify_all()
    tasks[-2].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print("done")

asyncio.run(main())
"""

# An exception raised through a wait on each primitive (the waiting task
# cancelled), with its traceback.
TRACEBACKS = """
import asyncio, traceback

async def hold(lock):
    async with lock:
        await asyncio.sleep(10)

async def take(lock):
    try:
        async with lock:
            pass
    except asyncio.CancelledError:
        traceback.print_exc()
        raise

async def take_sem(sem):
    try:
        await sem.acquire()
    except asyncio.CancelledError:
        traceback.print_exc()
        raise

async def main():
    lock = asyncio.Lock(); sem = asyncio.Semaphore(0)
    holder = asyncio.create_task(hold(lock))
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(take(lock)), asyncio.create_task(take_sem(sem))]
    await asyncio.sleep(0.02)
    for t in waiters + [holder]:
        t.cancel()
    for t in waiters:
        try:
            await t
        except asyncio.CancelledError:
            traceback.print_exc()
    await asyncio.gather(holder, return_exceptions=True)

asyncio.run(main())
"""


def untraced(python, script):
    return subprocess.run([python, script], capture_output=True, timeout=120)


def without_ids(text):
    return re.sub(rb"id=0x[0-9a-f]+", b"id=?", text)


def version_of(v):
    return tuple(map(int, v.split(".")))


class CallGraphs(unittest.TestCase):
    def test_call_graphs_of_tasks_waiting_on_every_primitive_print_as_untraced(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                proc, trace = tracefile.run(GRAPHS, python=python)
                plain = untraced(python, trace.script)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(plain.returncode, 0, plain.stderr)
                self.assertNotIn(b"concurrency_trace", proc.stdout)
                self.assertEqual(without_ids(proc.stdout), without_ids(plain.stdout))
                self.assertEqual(proc.stderr, plain.stderr)
                if version_of(version) >= (3, 14):
                    self.assertIn(b"in async Lock.acquire()", proc.stdout)
                    self.assertIn(b"in async Semaphore.acquire()", proc.stdout)
                # The waits and holds are still recorded: in_lock's hold,
                # then lock_waiter's and acquire_waiter's, which waited on it.
                lock = [r.obj for r in trace.of("OBJECT") if trace.blob(r, "b") == "lock"][0]
                holds = [r for r in trace.of("ASYNC_HOLD") if r.obj == lock]
                self.assertEqual(len(holds), 3)
                self.assertTrue(all(h.end > 0 for h in holds))
                waits = [w for w in trace.of("ASYNC_WAIT") if w.b == LOCK and w.a == lock]
                self.assertEqual(len(waits), 2)
                sem = [r.obj for r in trace.of("OBJECT") if trace.blob(r, "b") == "bounded"][0]
                self.assertEqual(len([r for r in trace.of("ASYNC_HOLD") if r.obj == sem]), 2)


class Tracebacks(unittest.TestCase):
    def test_exceptions_raised_through_an_acquire_print_the_untraced_traceback(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                proc, trace = tracefile.run(TRACEBACKS, python=python)
                plain = untraced(python, trace.script)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn(b"CancelledError", plain.stderr)
                self.assertIn(b"acquire", plain.stderr)
                self.assertEqual(proc.stderr, plain.stderr)


class ToolIdTaken(unittest.TestCase):
    def test_a_program_taking_our_tool_ids_gets_them_and_holds_are_still_recorded(self):
        # py_state holds one id (a thread was started), asyncio_returns the other; the program
        # sees both free and gets them.
        script = """
        import asyncio, sys, threading
        counter = 0
        def work():
            global counter
            counter += 1
        t = threading.Thread(target=work); t.start(); t.join()
        async def first():
            async with asyncio.Lock():
                pass
        asyncio.run(first())
        print(sorted(t for t in range(6) if sys.monitoring.get_tool(t) == "concurrency-trace"))
        for tool in (3, 4):
            try:
                sys.monitoring.use_tool_id(tool, "mine")
                print("got", tool, sys.monitoring.get_tool(tool))
            except ValueError as e:
                print("refused", tool, e)

        async def main():
            lock = asyncio.Lock()
            async with lock:
                await asyncio.sleep(0)

        asyncio.run(main())
        """
        script = textwrap.dedent(script)
        for version, python in pythons.traced_pythons():
            if version_of(version) < (3, 12):
                continue
            with self.subTest(python=version):
                proc, trace = tracefile.run(script, python=python)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                # The ids we hold read as free (get_tool), as they are untraced.
                self.assertEqual(proc.stdout, b"[]\ngot 3 mine\ngot 4 mine\n")
                lock = [r.obj for r in trace.of("OBJECT") if trace.blob(r, "b") == "lock"][0]
                self.assertEqual(len([r for r in trace.of("ASYNC_HOLD") if r.obj == lock]), 1)


if __name__ == "__main__":
    unittest.main()
