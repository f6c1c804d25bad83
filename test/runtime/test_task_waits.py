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


def at(code, marker):
    """The line of `code` marked `# marker`."""
    return next(n for n, text in enumerate(code.splitlines(), 1) if text.rstrip().endswith("# " + marker))


# The scripts never rely on a sleep to order threads or processes: a task waits on a gate
# opened only once the waiting call has begun (the main thread is inside it: its TASK_WAIT is
# open and the task not done), so each wait below is recorded whatever the machine's load.
WAITING = """
import sys, threading, time
MAIN = threading.get_ident()
def main_is_in(filename, *names):
    frame = sys._current_frames().get(MAIN)
    while frame is not None:
        if frame.f_code.co_name in names and frame.f_code.co_filename.endswith(filename):
            return True
        frame = frame.f_back
    return False
def when(ready, then, *args):
    def watch():
        while not ready():
            time.sleep(0.002)
        then(*args)
    threading.Thread(target=watch, daemon=True).start()
def when_result_waits(then, *args):
    when(lambda: main_is_in("_base.py", "result"), then, *args)
"""

FUTURES = WAITING + """
import os, signal
import concurrent.futures as cf
def gated(x, gate):
    gate.wait()
    return x
def boom(x, gate):
    gate.wait()
    raise ValueError(x)
def cancel_then_open(f, gate):
    f.cancel()
    gate.set()
gates = [threading.Event() for _ in range(6)]
with cf.ThreadPoolExecutor(2) as ex:
    ok = ex.submit(gated, 1, gates[0])                # SUBMIT-OK
    when_result_waits(gates[0].set)
    ok.result()                                       # WAIT-DONE
    bad = ex.submit(boom, 2, gates[1])                # SUBMIT-BAD
    when_result_waits(gates[1].set)
    try:
        bad.result()                                  # WAIT-RAISED
    except ValueError:
        pass
    late = ex.submit(gated, 3, gates[2])
    try:
        late.result(timeout=0.01)                     # WAIT-TIMED-OUT
    except cf.TimeoutError:
        pass
    gates[2].set()
    late.result()
with cf.ThreadPoolExecutor(1) as ex:
    busy = ex.submit(gated, 4, gates[3])
    queued = ex.submit(gated, 5, gates[4])            # never runs: cancelled while busy runs
    when_result_waits(cancel_then_open, queued, gates[3])
    try:
        queued.result()                               # WAIT-CANCELLED
    except cf.CancelledError:
        pass
with cf.ThreadPoolExecutor(1) as ex:
    f = ex.submit(gated, 6, gates[5])
    when_result_waits(os.kill, os.getpid(), signal.SIGINT)
    try:
        f.result()                                    # WAIT-INTERRUPTED
    except KeyboardInterrupt:
        gates[5].set()
    f.result()
print("ok")
"""

WAIT_AND_AS_COMPLETED = WAITING + """
import multiprocessing as mp
import concurrent.futures as cf
def gated(gate):
    gate.wait()
    return 1
def set_gate(gate):
    global process_gate
    process_gate = gate
def process_gated(x):
    process_gate.wait()
    return x
def set_all(gates):
    for g in gates:
        g.set()
if __name__ == "__main__":
  gates = [threading.Event() for _ in range(6)]
  with cf.ThreadPoolExecutor(3) as ex:
    fs = [ex.submit(gated, g) for g in gates[:3]]                   # SUBMIT-FS
    when(lambda: all(f._waiters for f in fs), gates[0].set)
    done, pending = cf.wait(fs, return_when=cf.FIRST_COMPLETED)     # WAIT-FIRST
    when(lambda: fs[1]._waiters, set_all, gates[1:3])
    cf.wait(fs)                                                     # WAIT-ALL
    gs = [ex.submit(gated, g) for g in gates[3:5]]                  # SUBMIT-GS
    when(lambda: gs[0]._waiters, set_all, gates[3:5])
    for g in cf.as_completed(gs):                                   # WAIT-AS-COMPLETED
        g.result()
    cf.wait(fs)                                                     # WAIT-ALL-DONE
    when_result_waits(gates[5].set)
    list(ex.map(gated, [gates[5], gates[5]]))                       # WAIT-MAP
  process_gate = mp.Event()
  with cf.ProcessPoolExecutor(2, initializer=set_gate, initargs=(process_gate,)) as pex:
    when_result_waits(process_gate.set)
    list(pex.map(process_gated, [0.1] * 4, chunksize=2))            # WAIT-CHUNKS
  print("ok")
"""

POOL = WAITING + """
import multiprocessing as mp
from multiprocessing import Pool
def set_gates(g):
    global gates
    gates = g
def gated(at):
    gates[at[0]].wait()
    return at[1]
def when_pool_waits(gate):
    when(lambda: main_is_in("pool.py", "wait", "next"), gate.set)
if __name__ == "__main__":
    gates = [mp.Event() for _ in range(4)]
    with Pool(2, initializer=set_gates, initargs=(gates,)) as pool:
        when_pool_waits(gates[0])
        pool.map(gated, [(0, x) for x in range(6)], chunksize=2)    # WAIT-MAP
        when_pool_waits(gates[1])
        pool.apply_async(gated, ((1, 1),)).get()                    # WAIT-APPLY
        when_pool_waits(gates[2])
        it = pool.imap(gated, [(2, x) for x in range(2)])           # SUBMIT-IMAP
        next(it); next(it)                                          # WAIT-IMAP
        when_pool_waits(gates[3])
        for x in pool.imap_unordered(gated, [(3, x) for x in range(3)]):   # WAIT-UNORDERED
            pass
    print("ok")
"""

DEADLOCK = WAITING + """
import os
from concurrent.futures import ThreadPoolExecutor
both_submitted = threading.Event()
def wait_on_b():
    both_submitted.wait()
    return b.result()                                               # WAIT-ON-B
def wait_on_a():
    both_submitted.wait()
    return a.result()                                               # WAIT-ON-A
executor = ThreadPoolExecutor(max_workers=2)
a = executor.submit(wait_on_b)                                      # SUBMIT-A
b = executor.submit(wait_on_a)                                      # SUBMIT-B
both_submitted.set()
while not (a._condition._waiters and b._condition._waiters):       # both blocked in result()
    time.sleep(0.01)
os._exit(0)
"""


class FutureWaits(unittest.TestCase):
    def test_result_waits_name_their_task_and_how_they_ended(self):
        _, trace = run(FUTURES)
        submits = {line(trace, r): r.obj for r in trace.of("TASK_SUBMIT")}
        by_line = {line(trace, w): w for w in waits(trace)}
        for marker, how in (("WAIT-DONE", DONE), ("WAIT-RAISED", RAISED), ("WAIT-TIMED-OUT", TIMED_OUT),
                            ("WAIT-CANCELLED", CANCELLED), ("WAIT-INTERRUPTED", INTERRUPTED)):
            w = by_line[at(FUTURES, marker)]
            self.assertEqual((w.a, w.b), (ONE, how), marker)
            self.assertTrue(w.end >= w.ts, marker)
        done, raised = by_line[at(FUTURES, "WAIT-DONE")], by_line[at(FUTURES, "WAIT-RAISED")]
        self.assertEqual(done.obj, submits[at(FUTURES, "SUBMIT-OK")])
        self.assertEqual(raised.obj, submits[at(FUTURES, "SUBMIT-BAD")])
        result = [r for r in trace.of("TASK_RESULT") if r.obj == done.obj][0]
        self.assertTrue(done.ts <= result.ts <= done.end)

    def test_wait_and_as_completed_wait_for_groups(self):
        code = WAIT_AND_AS_COMPLETED
        _, trace = run(code)
        submitted = {}
        for r in trace.of("TASK_SUBMIT"):
            submitted.setdefault(line(trace, r), []).append(r.obj)
        by_line = {}
        for w in waits(trace):
            by_line.setdefault(line(trace, w), []).append(w)
        [first] = by_line[at(code, "WAIT-FIRST")]
        self.assertEqual((first.a, first.b), (ANY, DONE))
        self.assertEqual(members(trace, first.obj), sorted(submitted[at(code, "SUBMIT-FS")]))
        [all_of] = by_line[at(code, "WAIT-ALL")]
        self.assertEqual((all_of.a, all_of.b), (ALL, DONE))
        self.assertEqual(len(members(trace, all_of.obj)), 2)      # the first one was done
        as_completed = by_line[at(code, "WAIT-AS-COMPLETED")]
        self.assertGreaterEqual(len(as_completed), 1)
        self.assertEqual({w.obj for w in as_completed}, {as_completed[0].obj})
        self.assertTrue(all((w.a, w.b) == (ANY, DONE) for w in as_completed))
        self.assertEqual(members(trace, as_completed[0].obj), sorted(submitted[at(code, "SUBMIT-GS")]))
        self.assertNotIn(at(code, "WAIT-ALL-DONE"), by_line)
        mapped = by_line[at(code, "WAIT-MAP")]
        self.assertTrue(mapped)
        self.assertTrue(all((w.a, w.b) == (ONE, DONE) for w in mapped))
        chunk_waits = by_line[at(code, "WAIT-CHUNKS")]
        self.assertTrue(chunk_waits)
        for w in chunk_waits:
            self.assertEqual(w.a, ALL)
            self.assertEqual(len(members(trace, w.obj)), 2)
            self.assertTrue(set(members(trace, w.obj)) <= set(submitted[at(code, "WAIT-CHUNKS")]))


class PoolWaits(unittest.TestCase):
    def test_map_apply_imap_and_imap_unordered_waits(self):
        _, trace = run(POOL)
        submitted = {}
        for r in trace.of("TASK_SUBMIT"):
            submitted.setdefault(line(trace, r), set()).add(r.obj)
        by_line = {}
        for w in waits(trace):
            by_line.setdefault(line(trace, w), []).append(w)
        map_line, apply_line = at(POOL, "WAIT-MAP"), at(POOL, "WAIT-APPLY")
        imap_line, unordered_line = at(POOL, "WAIT-IMAP"), at(POOL, "WAIT-UNORDERED")
        [mapped] = by_line[map_line]
        self.assertEqual((mapped.a, mapped.b), (ALL, DONE))
        self.assertEqual(set(members(trace, mapped.obj)), submitted[map_line])
        [applied] = by_line[apply_line]
        self.assertEqual((applied.a, applied.b), (ONE, DONE))
        self.assertIn(applied.obj, submitted[apply_line])
        self.assertTrue(by_line[imap_line])
        self.assertTrue(all(w.a == ONE and w.obj in submitted[at(POOL, "SUBMIT-IMAP")] for w in by_line[imap_line]))
        unordered = by_line[unordered_line]
        self.assertTrue(all(w.a == ANY for w in unordered))
        self.assertEqual(set(members(trace, unordered[0].obj)), submitted[unordered_line])

    def test_imap_next_that_hands_over_a_failure_already_there_is_a_wait_ending_raised(self):
        # The failed element's result arrives before next() asks for it (the sleep): next()
        # raises at once, with no wait; the trace must still say its exception reached here.
        # (On a loaded machine it may not be there yet: then next() waits for it, a wait that
        # ends RAISED too.)
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


    @unittest.expectedFailure
    def test_imap_next_waiting_for_the_end_of_the_elements_names_no_task(self):
        # The pool knows how many elements imap has only once its task handler has drawn the
        # last one from the iterable: a next() after the last result, before that, waits for
        # the end of the elements, not for a task (there is no task of that index).
        # KNOWN PRODUCT BUG (task_waits.make_next): the tracer records a TASK_WAIT on task
        # (job, index) that never exists.  At the wait's start it cannot tell this from a wait
        # for an element not drawn yet (imap; next() at once: common); only the StopIteration
        # at its end tells, and the record's task cannot be withdrawn then.  This pins the bug
        # until the format can say "ended: no such task" (TASK_WAIT b) and the analysis reads it.
        code = WAITING + """
from multiprocessing.pool import ThreadPool
consumed = threading.Event()
def elements():
    yield 0
    yield 1
    consumed.wait()          # both results taken: the next next() waits for the end
    while not main_is_in("pool.py", "next"):
        time.sleep(0.002)
with ThreadPool(2) as pool:
    it = pool.imap(abs, elements())                  # SUBMIT
    print(next(it), next(it))
    consumed.set()
    print(list(it))                                  # WAIT-END
"""
        proc, trace = run(code)
        self.assertEqual(proc.stdout.split(), [b"0", b"1", b"[]"])
        submitted = {r.obj for r in trace.of("TASK_SUBMIT")}
        self.assertEqual(len(submitted), 2)
        self.assertEqual([line(trace, w) for w in waits(trace) if w.a == ONE and w.obj not in submitted], [])
        self.assertNotIn(at(code, "WAIT-END"), [line(trace, w) for w in waits(trace)])


class Deadlock(unittest.TestCase):
    def test_futures_waiting_on_each_other_show_two_open_waits_on_each_others_task(self):
        _, trace = run(DEADLOCK)
        submits = {line(trace, r): r.obj for r in trace.of("TASK_SUBMIT")}
        open_waits = {line(trace, w): w for w in waits(trace) if w.end == 0}
        on_b, on_a = at(DEADLOCK, "WAIT-ON-B"), at(DEADLOCK, "WAIT-ON-A")
        self.assertEqual(set(open_waits), {on_b, on_a})
        self.assertEqual(open_waits[on_b].obj, submits[at(DEADLOCK, "SUBMIT-B")])   # a waits for b's task
        self.assertEqual(open_waits[on_a].obj, submits[at(DEADLOCK, "SUBMIT-A")])
        runs = {r.obj: r.ident for r in trace.of("TASK_RUN")}
        self.assertEqual(open_waits[on_b].ident, runs[submits[at(DEADLOCK, "SUBMIT-A")]])   # in a's worker thread


JOINS = WAITING + """
import os, signal
import multiprocessing as mp
def ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)
if __name__ == "__main__":
    thread_gate, process_gate = threading.Event(), mp.Event()
    t = threading.Thread(target=thread_gate.wait)
    t.start()
    when(lambda: main_is_in("threading.py", "join"), ctrl_c)
    try:
        t.join()                                # JOIN-THREAD-INTERRUPTED
    except KeyboardInterrupt:
        thread_gate.set()
    p = mp.Process(target=process_gate.wait)
    p.start()
    when(lambda: main_is_in("process.py", "join"), ctrl_c)
    try:
        p.join()                                # JOIN-PROCESS-INTERRUPTED
    except KeyboardInterrupt:
        process_gate.set()
    t.join()                                    # JOIN-THREAD
    p.join()                                    # JOIN-PROCESS
    print("ok")
"""


class Joins(unittest.TestCase):
    def test_joins_interrupted_by_ctrl_c_are_closed_spans(self):
        # Ctrl-C arrives once the main thread is inside join(), and the thread / process it
        # joins runs until then (a gate): the interrupted joins end before what they join.
        _, trace = run(JOINS)
        thread_lines = (at(JOINS, "JOIN-THREAD-INTERRUPTED"), at(JOINS, "JOIN-THREAD"))
        thread_joins = [j for j in trace.of("THREAD_JOIN") if line(trace, j) in thread_lines]
        self.assertEqual(len(thread_joins), 2)
        self.assertTrue(all(j.end for j in thread_joins))
        # (a: whether the thread had ended, as is_alive() says: CPython 3.11
        # marks an interrupted join's thread stopped, bpo-45274)
        process_lines = (at(JOINS, "JOIN-PROCESS-INTERRUPTED"), at(JOINS, "JOIN-PROCESS"))
        joins = sorted((j for j in trace.of("PROCESS_JOIN") if line(trace, j) in process_lines), key=lambda j: j.ts)
        self.assertEqual([(line(trace, j), j.b) for j in joins], [(process_lines[0], 0), (process_lines[1], 1)])
        self.assertTrue(all(j.end >= j.ts for j in joins))


if __name__ == "__main__":
    unittest.main()
