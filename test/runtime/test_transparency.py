"""The patched APIs look and fail exactly as untraced: pickling by reference,
tracebacks (no tracer frames), argument errors, type(), names, subclasses.
Each script runs traced and untraced on every traced Python; the outputs
must match."""
import textwrap
import unittest

from test.runtime import pythons, tracefile

PICKLES = r'''
import importlib, pickle, sys, types
MODULES = ["os", "posix", "time", "threading", "_thread", "queue", "_queue", "subprocess", "signal",
           "multiprocessing", "multiprocessing.process", "multiprocessing.queues",
           "multiprocessing.connection", "multiprocessing.synchronize", "multiprocessing.sharedctypes",
           "multiprocessing.managers", "multiprocessing.pool", "multiprocessing.context",
           "multiprocessing.popen_fork", "multiprocessing.popen_forkserver",
           "multiprocessing.popen_spawn_posix", "multiprocessing.forkserver",
           "multiprocessing.resource_tracker", "concurrent.futures", "concurrent.futures._base",
           "concurrent.futures.thread", "concurrent.futures.process", "asyncio", "asyncio.base_events",
           "asyncio.events", "asyncio.tasks"]
KINDS = (types.FunctionType, types.BuiltinFunctionType, type)
def attributes():
    for name in MODULES:
        module = importlib.import_module(name)
        for key, value in sorted(vars(module).items()):
            if isinstance(value, KINDS):
                yield "%s.%s" % (name, key), value
            if isinstance(value, type) and getattr(value, "__module__", None) == name:
                for attr, member in sorted(vars(value).items()):
                    if isinstance(member, (types.FunctionType, staticmethod, classmethod)):
                        yield "%s.%s.%s" % (name, key, attr), getattr(value, attr)
for name, obj in attributes():
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        try:
            data = pickle.dumps(obj, protocol)
            back = pickle.loads(data)
            same = back is obj or back == obj
            print(name, protocol, "pickles", "round-trips" if same else "LOADS-ANOTHER")
        except Exception as e:
            print(name, protocol, "refused", type(e).__name__)
'''

EXIT_TARGET = r'''
import multiprocessing as mp, os, sys, time
if __name__ == "__main__":
    for method in ("spawn", "forkserver", "fork"):
        ctx = mp.get_context(method)
        p = ctx.Process(target=os._exit, args=(3,))
        p.start()
        p.join()
        q = ctx.Process(target=time.sleep, args=(0,))
        q.start()
        q.join()
        print(method, p.exitcode, q.exitcode)
'''

TRACEBACKS = r'''
import os, pickle, queue, sys, threading, time, traceback
import multiprocessing as mp
import concurrent.futures as cf
from multiprocessing.pool import ThreadPool
def show(what, call):
    try:
        result = call()
        print(what, "->", repr(result) if isinstance(result, (bool, int, type(None))) else type(result).__name__)
    except BaseException as e:
        print(what, "raised")
        print("".join(traceback.format_exception(type(e), e, e.__traceback__)))
def boom(x):
    raise ValueError("task failed: %r" % (x,))
q = queue.Queue(1)
sq = queue.SimpleQueue()
lock = mp.Lock()
rlock = mp.RLock()
sem = threading.BoundedSemaphore(1)
msem = mp.BoundedSemaphore(1)
ev = threading.Event()
cond = threading.Condition()
a, b = mp.Pipe()
v = mp.Value("i", 0)
show("Queue.get_nowait", q.get_nowait)
show("Queue.get timeout", lambda: q.get(timeout=0.01))
show("Queue.get bad timeout", lambda: q.get(timeout=-1))
show("Queue.put no item", lambda: q.put())
show("Queue.put too many", lambda: q.put(1, True, None, 4))
show("Queue.put keyword", lambda: q.put(1, blok=True))
q.put(1)
show("Queue.put_nowait full", lambda: q.put_nowait(2))
show("Queue.task_done too many", lambda: [q.get(), q.task_done(), q.task_done()])
show("SimpleQueue.get_nowait", sq.get_nowait)
show("SimpleQueue.get timeout", lambda: sq.get(timeout=0.01))
show("SimpleQueue.get bad", lambda: sq.get(1, 2, 3))
show("SimpleQueue.get keyword", lambda: sq.get(blok=True))
show("SimpleQueue.put none", lambda: sq.put())
show("SimpleQueue.put keyword", lambda: sq.put(item=1, blok=True))
show("SimpleQueue.put bad timeout", lambda: sq.put(1, True, "x"))
show("SimpleQueue pickle", lambda: pickle.dumps(sq))
show("SimpleQueue attribute", lambda: setattr(sq, "x", 1))
show("mp Lock release unheld", lock.release)
show("mp Lock acquire bad", lambda: lock.acquire(1, 2, 3))
show("mp Lock acquire block x", lambda: lock.acquire(block="x"))
show("mp Lock acquire keyword", lambda: lock.acquire(blok=True))
show("mp Lock acquire timeout x", lambda: lock.acquire(True, "x"))
show("mp Lock acquire", lambda: lock.acquire(timeout=0.1))
show("mp Lock acquire again", lambda: lock.acquire(timeout=0.05))
show("mp Lock release", lock.release)
show("mp RLock release unheld", rlock.release)
show("mp BoundedSemaphore over", msem.release)
show("BoundedSemaphore over", sem.release)
show("Semaphore acquire bad", lambda: sem.acquire(False, 1))
show("Semaphore acquire too many", lambda: sem.acquire(1, 2, 3))
show("Condition wait unowned", lambda: cond.wait(0))
show("Condition notify unowned", cond.notify)
show("Event wait bad", lambda: ev.wait("x"))
show("Event set args", lambda: ev.set(1))
show("Barrier wait broken", lambda: threading.Barrier(2).wait(0.01))
show("sleep negative", lambda: time.sleep(-1))
show("sleep string", lambda: time.sleep("x"))
show("sleep keyword", lambda: time.sleep(secs=1))
show("waitpid none", lambda: os.waitpid(-1, os.WNOHANG))
show("waitpid bad", lambda: os.waitpid("x", 0))
show("Pipe send closed", lambda: [b.close(), a.send(1)])
show("Pipe recv closed", lambda: a.recv())
show("Value bad", lambda: setattr(v, "value", "x"))
show("Thread start twice", lambda: [t.start(), t.start()] if (t := threading.Thread(target=lambda: None)) else 0)
show("Thread join unstarted", lambda: threading.Thread(target=lambda: None).join())
show("Process start twice", lambda: [p.start(), p.join(), p.start()] if (p := mp.Process(target=abs, args=(1,))) else 0)
show("Process join unstarted", lambda: mp.Process(target=abs).join())
with cf.ThreadPoolExecutor(1) as ex:
    f = ex.submit(boom, 1)
    cf.wait([f])                # (done before result(): the same lines of _base.py either way)
    show("Future result raises", f.result)
    show("Future result timeout", lambda: ex.submit(time.sleep, 0.2).result(timeout=0.01))
    show("submit no fn", lambda: ex.submit())
    show("map raises", lambda: list(ex.map(boom, [1])))
with ThreadPool(1) as pool:
    show("apply raises", lambda: pool.apply(boom, (2,)))
    show("map raises", lambda: pool.map(boom, [3]))
    show("imap raises", lambda: list(pool.imap(boom, [4])))
    show("get timeout", lambda: pool.apply_async(time.sleep, (0.2,)).get(0.01))
'''

IDENTITY = r'''
import queue, threading, time, os, pickle, inspect
import multiprocessing as mp
import multiprocessing.synchronize as sync, multiprocessing.queues as mpq
def names(obj):
    return (getattr(obj, "__module__", None), getattr(obj, "__qualname__", None), getattr(obj, "__name__", None))
for obj in (queue.SimpleQueue, queue.SimpleQueue.put, queue.SimpleQueue.get, queue.Queue.put,
            queue.Queue.get, queue.Queue.__init__, threading.Thread.start, threading.Thread.join,
            threading.Semaphore.acquire, threading.Event.wait, threading.Condition.wait,
            threading.Barrier.wait, mp.Process.start, mp.Process.join, os._exit, os.fork,
            os.waitpid, time.sleep, sync.SemLock.__enter__, sync.SemLock.__exit__, mpq.Queue.put,
            mpq.Queue.get, mp.connection.Pipe):
    print(names(obj))
sq = queue.SimpleQueue()
print(type(sq), repr(sq).split(" at ")[0], type(sq) is queue.SimpleQueue, isinstance(sq, queue.SimpleQueue))
print(inspect.signature(queue.Queue.put), inspect.signature(threading.Thread.join))
class MyQ(queue.SimpleQueue):
    def put(self, item, block=True, timeout=None):
        super().put(("mine", item), block, timeout)
class MyQueue(queue.Queue):
    def _put(self, item):
        self.queue.append(("mine", item))
class MyMpQueue(mpq.Queue):
    def __init__(self):
        super().__init__(ctx=mp.get_context())
class MyThread(threading.Thread):
    def run(self):
        self.result = 42
class MyEvent(threading.Event):
    def wait(self, timeout=None):
        return ("mine", super().wait(timeout))
mq = MyQ(); mq.put(1)
q = MyQueue(); q.put(2)
mpq_ = MyMpQueue(); mpq_.put(3)
t = MyThread(); t.start(); t.join()
e = MyEvent(); e.set()
print(type(mq).__mro__[1] is queue.SimpleQueue, mq.get(), q.get(), mpq_.get(timeout=5), t.result, e.wait())
lock = mp.Lock()
print(type(lock), type(lock.acquire).__name__ == type(mp.Lock().acquire).__name__, lock.acquire(), lock.release())
'''


def _compare(test, script, python, transform=None):
    proc, trace = tracefile.run(textwrap.dedent(script), python=python, timeout=300)
    plain = pythons.run_untraced(trace.script, python, timeout=300)
    traced_out = proc.stdout.decode(errors="replace")
    plain_out = plain.stdout.decode(errors="replace")
    test.assertEqual(proc.returncode, plain.returncode, proc.stderr.decode(errors="replace")[-3000:])
    if transform is not None:
        traced_out, plain_out = transform(traced_out), transform(plain_out)
    test.assertEqual(traced_out, plain_out)
    test.assertNotIn("concurrency_trace", traced_out)
    return traced_out


class Pickling(unittest.TestCase):
    def test_every_patched_function_class_and_method_pickles_by_reference_as_untraced(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                proc, trace = tracefile.run(PICKLES, python=python, timeout=300)
                plain = pythons.run_untraced(trace.script, python, timeout=300)
                self.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace")[-3000:])
                traced = set(proc.stdout.decode().splitlines())
                untraced = set(plain.stdout.decode().splitlines())
                self.assertEqual(sorted(untraced - traced), [])
                # What the tracer adds (SimpleQueue's methods on its subclass,
                # SemLock.__new__ ...) pickles too.
                self.assertEqual([l for l in traced - untraced if not l.endswith("round-trips")], [])
                self.assertIn("os._exit 2 pickles round-trips", traced)
                self.assertIn("queue.SimpleQueue 2 pickles round-trips", traced)

    def test_a_process_whose_target_is_os_exit_or_sleep_starts_under_every_method(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                out = _compare(self, EXIT_TARGET, python)
                self.assertEqual(out.split(), ["spawn", "3", "0", "forkserver", "3", "0", "fork", "3", "0"])


class ErrorsAndTracebacks(unittest.TestCase):
    def test_errors_raised_through_patched_calls_print_exactly_as_untraced(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                _compare(self, TRACEBACKS, python)

    def test_types_names_signatures_and_subclasses_as_untraced(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                _compare(self, IDENTITY, python)


if __name__ == "__main__":
    unittest.main()
