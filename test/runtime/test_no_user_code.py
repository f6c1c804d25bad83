"""The tracer never runs the program's code that the program did not run:
no __repr__ / __str__ / __format__ / __getattr__ / __eq__ / __hash__ /
__len__ / __bool__ / __fspath__ / __index__ of the program's objects that
pass through patched calls (task arguments and functions, queue items,
shared values and keys, exceptions, process targets, subprocess arguments).
Each program logs every such call; traced and untraced logs must match."""
import textwrap
import unittest

from test.runtime import pythons, tracefile

SPY = r'''
import asyncio, os, queue, subprocess, sys, threading, time
import concurrent.futures as cf
import multiprocessing as mp
from multiprocessing.pool import ThreadPool
calls = []
class Spy:
    """Logs every special method the interpreter or anyone calls on it."""
    def __init__(self, n):
        self.n = n
    def __repr__(self):
        calls.append("repr"); return "Spy(%d)" % self.n
    def __str__(self):
        calls.append("str"); return "spy"
    def __format__(self, spec):
        calls.append("format"); return "spy"
    def __eq__(self, other):
        calls.append("eq"); return self is other
    def __hash__(self):
        calls.append("hash"); return self.n
    def __len__(self):
        calls.append("len"); return 1
    def __bool__(self):
        calls.append("bool"); return True
    def __lt__(self, other):
        calls.append("lt"); return False
    def __getattr__(self, name):
        calls.append("getattr " + name); raise AttributeError(name)
    def __reduce__(self):
        calls.append("reduce"); return (Spy, (self.n,))
class CallableSpy(Spy):
    def __call__(self, *args):
        calls.append("call"); return len(args)
class SpyError(Exception):
    def __str__(self):
        calls.append("error str"); return "spy error"
    def __repr__(self):
        calls.append("error repr"); return "SpyError()"
class PathSpy(os.PathLike):
    def __fspath__(self):
        calls.append("fspath"); return sys.executable
def ident(*args, **kwargs):
    return len(args) + len(kwargs)
def fail(x):
    raise SpyError()
def step(name):
    calls.append("--- " + name)
async def coro_fail():
    raise SpyError()
async def amain():
    return await asyncio.gather(asyncio.ensure_future(coro_fail()), return_exceptions=True)
if __name__ == "__main__":
    s = Spy(1)
    step("thread executor")
    with cf.ThreadPoolExecutor(1) as ex:
        ex.submit(ident, s, [s], {"k": s}, key=s).result()
        ex.submit(CallableSpy(2), s).result()
        list(ex.map(ident, [s, s]))
        cf.wait([ex.submit(ident, s)])
        for f in cf.as_completed([ex.submit(ident, s)]):
            f.result()
    step("thread pool")
    with ThreadPool(1) as pool:
        pool.apply(ident, (s,), {"k": s})
        pool.map(ident, [s, (s, s)])
        pool.starmap(ident, [(s, s)])
        pool.apply(CallableSpy(3), (s,))
        list(pool.imap_unordered(ident, [s]))
        try:
            pool.apply(fail, (s,))
        except SpyError:
            calls.append("caught")
    step("queues")
    q = queue.Queue()
    q.put(s); q.put(s); q.get(); q.get()
    pq = queue.PriorityQueue()
    pq.put(Spy(5)); pq.get()
    sq = queue.SimpleQueue()
    sq.put(s); sq.get()
    mq = mp.Queue()
    mq.put(s); mq.get()
    a, b = mp.Pipe()
    a.send(s); b.recv()
    step("threads")
    t = threading.Thread(target=CallableSpy(4), args=(s,), name="spy-thread")
    t.start(); t.join()
    t = threading.Thread(target=fail, args=(s,))
    t.start(); t.join()
    step("asyncio")
    results = asyncio.run(amain())
    calls.append("async " + type(results[0]).__name__)
    step("processes")
    p = mp.get_context("fork").Process(target=CallableSpy(6), args=(s,))
    p.start(); p.join()
    subprocess.run([PathSpy(), "-c", "pass"], check=True)
    step("manager")
    with mp.Manager() as m:
        d = m.dict()
        d[1] = s
        d.get(1)
        lst = m.list([s])
        lst.append(s)
        lst[0]
        mq2 = m.Queue()
        mq2.put(s); mq2.get()
    step("sleep")
    time.sleep(0)
    print("\n".join(calls))
'''


class NoProgramCode(unittest.TestCase):
    def test_no_special_method_of_the_programs_objects_runs_that_would_not_run_untraced(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                proc, trace = tracefile.run(textwrap.dedent(SPY), python=python, timeout=300)
                plain = pythons.run_untraced(trace.script, python, timeout=300)
                self.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace")[-3000:])
                self.assertEqual(plain.returncode, 0, plain.stderr.decode(errors="replace")[-3000:])
                self.assertEqual(proc.stdout.decode(), plain.stdout.decode())
                # and the trace still says what it can: argument summaries name the type
                summaries = [trace.blob(r, "b") for r in trace.of("TASK_RUN")]
                self.assertIn("<Spy>, [<Spy>], {'k': <Spy>}, key=<Spy>", summaries)
                names = {trace.blob(r, "b") for r in trace.of("TASK_SUBMIT")}
                self.assertIn("CallableSpy", names)
                errors = [trace.blob(r) for r in trace.of("THREAD_EXCEPTION")]
                self.assertTrue(errors and errors[0].rstrip().endswith("SpyError"), errors)


if __name__ == "__main__":
    unittest.main()
