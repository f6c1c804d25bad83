"""TASK_WAIT / TASK_WAIT_MEMBER: a thread waiting for pool / executor tasks,
which ones (the TASK_SUBMIT ids), all-of or any-of, and how the wait ended."""
import textwrap
import unittest

from test.runtime import tracefile

ONE, ALL, ANY, ALL_OR_RAISED = 0, 1, 2, 3
OPEN, DONE, RAISED, TIMED_OUT, INTERRUPTED, CANCELLED = 0, 1, 2, 3, 4, 5


def run(code, *args):
    proc, trace = tracefile.run(textwrap.dedent(code), *args, timeout=180)
    if proc.returncode != 0:
        raise AssertionError(proc.stderr.decode(errors="replace"))
    return proc, trace


def waits(trace):
    return sorted(trace.of("TASK_WAIT"), key=lambda r: r.ts)


def members(trace, group):
    out = []
    for r in trace.of("TASK_WAIT_MEMBER"):
        if r.obj == group:
            out.extend(range(r.a, r.a + r.b))
    return sorted(out)


def line(trace, rec):
    return trace.site(rec)[1]


FUTURES = """
import os, signal, threading, time
import concurrent.futures as cf
def slow(x):
    time.sleep(0.2)
    return x
def boom(x):
    time.sleep(0.2)
    raise ValueError(x)
with cf.ThreadPoolExecutor(2) as ex:
    ok = ex.submit(slow, 1)
    ok.result()                                       # line 12
    bad = ex.submit(boom, 2)
    try:
        bad.result()                                  # line 15
    except ValueError:
        pass
    late = ex.submit(slow, 3)
    try:
        late.result(timeout=0.01)                     # line 20
    except cf.TimeoutError:
        pass
    late.result()
with cf.ThreadPoolExecutor(1) as ex:
    busy = ex.submit(slow, 4)
    queued = ex.submit(slow, 5)
    threading.Timer(0.05, queued.cancel).start()
    try:
        queued.result()                               # line 29
    except cf.CancelledError:
        pass
with cf.ThreadPoolExecutor(1) as ex:
    f = ex.submit(slow, 6)
    threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT)).start()
    try:
        f.result()                                    # line 36
    except KeyboardInterrupt:
        pass
    f.result()
print("ok")
"""

WAIT_AND_AS_COMPLETED = """
import time
import concurrent.futures as cf
def slow(x):
    time.sleep(x)
    return x
if __name__ == "__main__":
  with cf.ThreadPoolExecutor(3) as ex:
    fs = [ex.submit(slow, t) for t in (0.1, 0.3, 0.5)]
    done, pending = cf.wait(fs, return_when=cf.FIRST_COMPLETED)     # line 10
    cf.wait(fs)                                                     # line 11
    gs = [ex.submit(slow, t) for t in (0.1, 0.2)]
    for g in cf.as_completed(gs):                                   # line 13
        g.result()
    cf.wait(fs)                                                     # all done: no wait
    list(ex.map(slow, [0.1, 0.1]))                                  # line 16
  with cf.ProcessPoolExecutor(2) as pex:
    list(pex.map(slow, [0.1] * 4, chunksize=2))                     # line 18
  print("ok")
"""

POOL = """
import time
from multiprocessing import Pool
def slow(x):
    time.sleep(0.05)
    return x
if __name__ == "__main__":
    with Pool(2) as pool:
        pool.map(slow, range(6), chunksize=2)                       # line 9
        pool.apply_async(slow, (1,)).get()                          # line 10
        for x in pool.imap(slow, range(2)):                         # line 11
            pass
        for x in pool.imap_unordered(slow, range(3)):               # line 13
            pass
    print("ok")
"""

DEADLOCK = """
import os, threading, time
from concurrent.futures import ThreadPoolExecutor
def wait_on_b():
    time.sleep(0.2)
    return b.result()                                               # line 6
def wait_on_a():
    time.sleep(0.2)
    return a.result()                                               # line 9
executor = ThreadPoolExecutor(max_workers=2)
a = executor.submit(wait_on_b)
b = executor.submit(wait_on_a)
time.sleep(1.0)
os._exit(0)
"""


class FutureWaits(unittest.TestCase):
    def test_result_waits_name_their_task_and_how_they_ended(self):
        _, trace = run(FUTURES)
        submits = {line(trace, r): r.obj for r in trace.of("TASK_SUBMIT")}
        by_line = {line(trace, w): w for w in waits(trace)}
        for at, how in ((12, DONE), (15, RAISED), (20, TIMED_OUT), (29, CANCELLED), (36, INTERRUPTED)):
            w = by_line[at]
            self.assertEqual((w.a, w.b), (ONE, how), at)
            self.assertTrue(w.end >= w.ts, at)
        self.assertEqual(by_line[12].obj, submits[11])
        self.assertEqual(by_line[15].obj, submits[13])
        result = [r for r in trace.of("TASK_RESULT") if r.obj == submits[11]][0]
        self.assertTrue(by_line[12].ts <= result.ts <= by_line[12].end)

    def test_wait_and_as_completed_wait_for_groups(self):
        _, trace = run(WAIT_AND_AS_COMPLETED)
        submitted = {}
        for r in trace.of("TASK_SUBMIT"):
            submitted.setdefault(line(trace, r), []).append(r.obj)
        by_line = {}
        for w in waits(trace):
            by_line.setdefault(line(trace, w), []).append(w)
        [first] = by_line[10]
        self.assertEqual((first.a, first.b), (ANY, DONE))
        self.assertEqual(members(trace, first.obj), sorted(submitted[9]))
        [all_of] = by_line[11]
        self.assertEqual((all_of.a, all_of.b), (ALL, DONE))
        self.assertEqual(len(members(trace, all_of.obj)), 2)      # the first one was done
        self.assertGreaterEqual(len(by_line[13]), 1)
        self.assertEqual({w.obj for w in by_line[13]}, {by_line[13][0].obj})
        self.assertTrue(all((w.a, w.b) == (ANY, DONE) for w in by_line[13]))
        self.assertEqual(members(trace, by_line[13][0].obj), sorted(submitted[12]))
        self.assertNotIn(15, by_line)
        self.assertTrue(all(w.a == ONE for w in by_line[16]))
        chunk_waits = by_line[18]
        self.assertTrue(chunk_waits)
        for w in chunk_waits:
            self.assertEqual(w.a, ALL)
            self.assertEqual(len(members(trace, w.obj)), 2)
            self.assertTrue(set(members(trace, w.obj)) <= set(submitted[18]))


class PoolWaits(unittest.TestCase):
    def test_map_apply_imap_and_imap_unordered_waits(self):
        _, trace = run(POOL)
        submitted = {}
        for r in trace.of("TASK_SUBMIT"):
            submitted.setdefault(line(trace, r), set()).add(r.obj)
        by_line = {}
        for w in waits(trace):
            by_line.setdefault(line(trace, w), []).append(w)
        [mapped] = by_line[9]
        self.assertEqual((mapped.a, mapped.b), (ALL, DONE))
        self.assertEqual(set(members(trace, mapped.obj)), submitted[9])
        [applied] = by_line[10]
        self.assertEqual((applied.a, applied.b), (ONE, DONE))
        self.assertIn(applied.obj, submitted[10])
        self.assertTrue(all(w.a == ONE and w.obj in submitted[11] for w in by_line[11]))
        unordered = by_line[13]
        self.assertTrue(all(w.a == ANY for w in unordered))
        self.assertEqual(set(members(trace, unordered[0].obj)), submitted[13])

    def test_imap_next_that_hands_over_a_failure_already_there_is_a_wait_ending_raised(self):
        # The failed element's result arrives before next() asks for it (the sleep): next()
        # raises at once, with no wait; the trace must still say its exception reached here.
        _, trace = run("""
            import time
            from multiprocessing.pool import ThreadPool
            def work(x):
                if x == 1:
                    raise ValueError(x)
                return x
            with ThreadPool(2) as pool:
                it = pool.imap(work, range(3))
                time.sleep(0.5)
                print(next(it))
                try:
                    next(it)                              # line 13
                except ValueError:
                    print("caught")
        """)
        failed = {r.obj for r in trace.of("TASK_RESULT") if r.a == 0}
        self.assertEqual(len(failed), 1)
        raised = [w for w in waits(trace) if line(trace, w) == 13]
        self.assertEqual([(w.obj in failed, w.b) for w in raised], [(True, RAISED)])


class Deadlock(unittest.TestCase):
    def test_futures_waiting_on_each_other_show_two_open_waits_on_each_others_task(self):
        _, trace = run(DEADLOCK)
        submits = {line(trace, r): r.obj for r in trace.of("TASK_SUBMIT")}
        open_waits = {line(trace, w): w for w in waits(trace) if w.end == 0}
        self.assertEqual(set(open_waits), {6, 9})
        self.assertEqual(open_waits[6].obj, submits[12])       # a waits for b's task
        self.assertEqual(open_waits[9].obj, submits[11])
        runs = {r.obj: r.ident for r in trace.of("TASK_RUN")}
        self.assertEqual(open_waits[6].ident, runs[submits[11]])   # in a's worker thread


JOINS = """
import os, signal, threading, time
import multiprocessing as mp
if __name__ == "__main__":
    t = threading.Thread(target=time.sleep, args=(0.5,))
    t.start()
    threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
    try:
        t.join()                                # line 9
    except KeyboardInterrupt:
        pass
    p = mp.Process(target=time.sleep, args=(0.5,))
    p.start()
    threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
    try:
        p.join()                                # line 16
    except KeyboardInterrupt:
        pass
    t.join()                                    # line 19
    p.join()                                    # line 20
    print("ok")
"""


class Joins(unittest.TestCase):
    def test_joins_interrupted_by_ctrl_c_are_closed_spans(self):
        _, trace = run(JOINS)
        thread_joins = [j for j in trace.of("THREAD_JOIN") if line(trace, j) in (9, 19)]
        self.assertEqual(len(thread_joins), 2)
        self.assertTrue(all(j.end for j in thread_joins))
        # (a: whether the thread had ended, as is_alive() says: CPython 3.11
        # marks an interrupted join's thread stopped, bpo-45274)
        joins = [j for j in trace.of("PROCESS_JOIN") if line(trace, j) in (16, 20)]
        self.assertEqual(sorted(j.b for j in joins), [0, 1])
        self.assertTrue(all(j.end >= j.ts for j in joins))


if __name__ == "__main__":
    unittest.main()
