"""asyncio Queue / Lock / Event / Condition / Semaphore / Barrier records
(asyncio_sync.py) on every traced CPython, and the deadlock they show."""
import subprocess
import sys
import unittest

from test.runtime import pythons, tracefile

QUEUE_GET, QUEUE_PUT, LOCK, EVENT, CONDITION, SEMAPHORE = 9, 10, 12, 13, 14, 15

PROGRAM = """
import asyncio
import sys

async def producer(q):
    for i in range(3):
        await q.put(i)
    await q.put(None)

async def consumer(q, lock, sem, ev, cond, out):
    while True:
        item = await q.get()
        if item is None:
            break
        out.append(item)
    async with lock:
        await asyncio.sleep(0.02)
    await ev.wait()
    async with cond:
        await cond.wait()
    sem.release()

async def main():
    jobs = asyncio.Queue(maxsize=1)
    lock = asyncio.Lock()
    gate = asyncio.Semaphore(0)
    ready = asyncio.Event()
    cond = asyncio.Condition()
    prio = asyncio.PriorityQueue()
    stack = asyncio.LifoQueue()
    bounded = asyncio.BoundedSemaphore(2)
    out = []
    c = asyncio.create_task(consumer(jobs, lock, gate, ready, cond, out))
    await producer(jobs)
    await asyncio.sleep(0.005)
    async with lock:
        pass
    ready.set()
    await asyncio.sleep(0.005)
    async with cond:
        cond.notify_all()
    await gate.acquire()
    async with bounded:
        pass
    for x in (3, 1, 2):
        prio.put_nowait(x)
        stack.put_nowait(x)
    got = [prio.get_nowait() for _ in range(3)] + [stack.get_nowait() for _ in range(3)]
    await c
    for f in asyncio.as_completed([asyncio.sleep(0.001)]):
        await f
    if sys.version_info >= (3, 11):
        b = asyncio.Barrier(1)
        await b.wait()
    print(out, got)

asyncio.run(main())
"""


def objects(trace):
    return {r.obj: (trace.blob(r, "a"), trace.blob(r, "b")) for r in trace.of("OBJECT")}


class Records(unittest.TestCase):
    def check(self, python):
        proc, trace = tracefile.run(PROGRAM, python=python)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"[0, 1, 2] [1, 2, 3, 2, 1, 3]\n")
        objs = objects(trace)
        by_name = {label: obj for obj, (_, label) in objs.items()}
        expected = {"jobs": "asyncio.Queue", "lock": "asyncio.Lock", "gate": "asyncio.Semaphore",
                    "ready": "asyncio.Event", "cond": "asyncio.Condition",
                    "prio": "asyncio.PriorityQueue", "stack": "asyncio.LifoQueue",
                    "bounded": "asyncio.BoundedSemaphore"}
        if pythons_version(python) >= (3, 11):
            expected["b"] = "asyncio.Barrier"
        # Only these: not the Condition's own Lock, the Barrier's Condition, as_completed's Queue.
        self.assertEqual({label: kind for kind, label in objs.values()}, expected)
        tasks = {r.obj: trace.blob(r, "b") for r in trace.of("ASYNC_CREATE")}
        consumer = [t for t, coro in tasks.items() if coro == "consumer"][0]
        main = [t for t, coro in tasks.items() if coro == "main"][0]

        # Queue: every put paired with the get of the same message, put first.
        jobs = by_name["jobs"]
        puts = {r.a: r for r in trace.of("QUEUE_PUT") if r.obj == jobs}
        gets = [r for r in trace.of("QUEUE_GET") if r.obj == jobs]
        self.assertEqual(len(puts), 4)
        self.assertEqual(sorted(r.a for r in gets), sorted(puts))
        for g in gets:
            self.assertLessEqual(puts[g.a].ts, g.ts)
            self.assertEqual(g.end, g.ts)
        # The consumer waited on the queue, the producer (main) on room in it.
        waits = trace.of("ASYNC_WAIT")
        self.assertTrue(any(w.obj == consumer and w.b == QUEUE_GET and w.a == jobs for w in waits))
        self.assertTrue(any(w.obj == main and w.b == QUEUE_PUT and w.a == jobs for w in waits))
        # Priority / Lifo: pairs follow the item, whatever the order.
        for name in ("prio", "stack"):
            q = by_name[name]
            p = [r.a for r in trace.of("QUEUE_PUT") if r.obj == q]
            g = [r.a for r in trace.of("QUEUE_GET") if r.obj == q]
            order = [1, 2, 0] if name == "prio" else [2, 1, 0]   # puts of 3, 1, 2
            self.assertEqual(g, [p[i] for i in order], name)

        # Lock: the consumer's hold, then main's, which waited for it.
        lock = by_name["lock"]
        holds = sorted((r for r in trace.of("ASYNC_HOLD") if r.obj == lock), key=lambda r: r.ts)
        self.assertEqual([h.a for h in holds], [consumer, main])
        self.assertLessEqual(holds[0].end, holds[1].ts)
        self.assertGreater(holds[0].end - holds[0].ts, 15e6)
        lock_wait = [w for w in waits if w.b == LOCK and w.a == lock]
        self.assertEqual([w.obj for w in lock_wait], [main])
        self.assertLessEqual(holds[0].end, lock_wait[0].end)
        self.assertEqual(trace.site(holds[0])[1], line_of("async with lock:", 0))

        # Event: set before the wait it ended.
        ready = by_name["ready"]
        sets = [r for r in trace.of("EVENT_SET") if r.obj == ready]
        ev_wait = [w for w in waits if w.b == EVENT and w.a == ready]
        self.assertEqual(len(sets), 1)
        self.assertEqual(len(ev_wait), 1)
        self.assertLess(sets[0].ts, ev_wait[0].end)

        # Condition: notify_all before the end of the consumer's wait.
        cond = by_name["cond"]
        notes = [r for r in trace.of("COND_NOTIFY") if r.obj == cond]
        self.assertEqual([n.a for n in notes], [-1])
        cw = [w for w in waits if w.b == CONDITION and w.a == cond]
        self.assertEqual(len(cw), 1)
        self.assertLess(notes[0].ts, cw[0].end)

        # Semaphore used as a signal: the consumer's release holds nothing, main's acquire waited.
        gate = by_name["gate"]
        self.assertEqual([r.obj for r in trace.of("LOCK_RELEASE")], [gate])
        self.assertTrue(any(w.obj == main and w.b == SEMAPHORE and w.a == gate for w in waits))
        bounded_holds = [r for r in trace.of("ASYNC_HOLD") if r.obj == by_name["bounded"]]
        self.assertEqual(len(bounded_holds), 1)
        self.assertGreater(bounded_holds[0].end, 0)

    def test_objects_operations_waits_and_holds_on_every_python(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                self.check(python)


def line_of(needle, nth=0):
    lines = [i for i, line in enumerate(PROGRAM.splitlines(), 1) if needle in line]
    return lines[nth]


def pythons_version(python):
    for v, path in pythons.traced_pythons():
        if path == python:
            return tuple(map(int, v.split(".")))
    return sys.version_info[:2]


DEADLOCK = """
import asyncio, os

async def worker(first, second):
    async with first:
        await asyncio.sleep(0.01)
        async with second:
            pass

async def main():
    a = asyncio.Lock()
    b = asyncio.Lock()
    asyncio.get_running_loop().call_later(0.3, os._exit, 0)
    await asyncio.gather(worker(a, b), worker(b, a))

asyncio.run(main())
"""


class Deadlock(unittest.TestCase):
    def test_two_tasks_taking_two_locks_in_opposite_order_end_waiting_on_each_others_hold(self):
        proc, trace = tracefile.run(DEADLOCK)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        locks = {trace.blob(r, "b"): r.obj for r in trace.of("OBJECT")}
        open_holds = {r.obj: r.a for r in trace.of("ASYNC_HOLD") if r.end == 0}
        open_waits = {r.obj: r.a for r in trace.of("ASYNC_WAIT") if r.end == 0 and r.b == LOCK}
        self.assertEqual(set(open_holds), {locks["a"], locks["b"]})
        self.assertEqual(len(open_waits), 2)
        for task, lock in open_waits.items():
            holder = open_holds[lock]
            self.assertNotEqual(holder, task)
            # the holder waits on the lock this task holds: a cycle
            self.assertEqual(open_holds[open_waits[holder]], task)


ERRORS = """
import asyncio

async def main():
    lock = asyncio.Lock()
    q = asyncio.Queue()
    sem = asyncio.BoundedSemaphore(1)
    await lock.acquire()
    try:
        await asyncio.wait_for(lock.acquire(), 0.01)
    except asyncio.TimeoutError as e:
        import traceback; traceback.print_exc()
    try:
        q.get_nowait()
    except asyncio.QueueEmpty:
        import traceback; traceback.print_exc()
    try:
        sem.release()
    except ValueError:
        import traceback; traceback.print_exc()
    lock.release()
    lock.release()

asyncio.run(main())
"""


class Transparency(unittest.TestCase):
    def test_tracebacks_of_patched_methods_are_the_untraced_ones(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                proc, trace = tracefile.run(ERRORS, python=python)
                plain = subprocess.run([python, trace.script], capture_output=True, timeout=60)
                self.assertEqual(proc.returncode, plain.returncode)
                self.assertEqual(proc.returncode, 1)
                self.assertEqual(proc.stderr.decode(), plain.stderr.decode())
                self.assertTrue(trace.of("ASYNC_HOLD"), "the run was traced")


if __name__ == "__main__":
    unittest.main()
