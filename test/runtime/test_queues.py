"""queue.* and multiprocessing queues: every put paired with its get."""
import collections
import sys
import unittest

from test.runtime import tracefile

sys.path.insert(0, tracefile.RUNTIME)
from concurrency_trace import pipes  # noqa: E402


def ok(test, proc):
    test.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace"))


def objects(trace, type_name):
    return [r for r in trace.of("OBJECT") if trace.blob(r) == type_name]


def gets_ok(trace, obj=None):
    return [g for g in trace.of("QUEUE_GET") if not g.b & 1 and (obj is None or g.obj == obj)]


def put_of(trace):
    return {p.a: p for p in trace.of("QUEUE_PUT") if not p.b & 1}


FIFO = """
import queue
q = queue.Queue()
for i in range(5):
    q.put(i)
print([q.get() for _ in range(5)])
"""

ORDERS = """
import queue
lq = queue.LifoQueue()
pq = queue.PriorityQueue()
for i in (3, 1, 4, 0, 2):
    lq.put(i)
    pq.put((i, "x%d" % i))
print([lq.get() for _ in range(5)], [pq.get()[0] for _ in range(5)])
"""

SAME_OBJECT = """
import queue, threading
q = queue.Queue()
marker = object()
for i in range(3):
    q.put(None)          # the same object three times
    q.put(marker)
    q.put(i)
got = [q.get() for _ in range(9)]
print(got.count(None), got.count(marker))
"""

BLOCKING = """
import queue, threading, time
q = queue.Queue()
got = []
t = threading.Thread(target=lambda: got.append(q.get()))
t.start()
while not q.not_empty._waiters:     # the get is blocked (a sleep does not ensure it)
    time.sleep(0.01)
q.put("late")
t.join()
print(got)
"""

BLOCKED_FOREVER = """
import os, queue, threading, time
q = queue.Queue()
threading.Thread(target=q.get, daemon=True).start()
while not q.not_empty._waiters:     # the get is blocked
    time.sleep(0.01)
os._exit(0)
"""

FAILURES = """
import queue
q = queue.Queue(1)
try:
    q.get(timeout=0.05)
except queue.Empty:
    print("empty")
try:
    q.get_nowait()
except queue.Empty:
    print("empty nowait")
marker = object()
q.put("a")
try:
    q.put(marker, timeout=0.05)
except queue.Full:
    print("full")
try:
    q.put_nowait(marker)
except queue.Full:
    print("full nowait")
for bad in (lambda: q.get(timeout=-1), lambda: q.put(1, timeout=-1)):
    try:
        bad()
    except ValueError as e:
        print("ValueError", e)
print(q.get())
q.put(marker)
print(q.get() is marker)
"""

TASKS = """
import queue, threading
q = queue.Queue()
def worker():
    while True:
        item = q.get()
        q.task_done()
        if item is None:
            return
t = threading.Thread(target=worker)
t.start()
for i in range(10):
    q.put(i)
q.put(None)
q.join()
t.join()
try:
    q.task_done()
except ValueError:
    print("too many")
"""

SIMPLE = """
import queue, pickle
sq = queue.SimpleQueue()
print(type(sq) is queue.SimpleQueue, repr(sq).startswith("<_queue.SimpleQueue object at"))
class Mine(queue.SimpleQueue):
    def put(self, item, block=True, timeout=None):
        super().put(("wrapped", item), block, timeout)
mine = Mine()
mine.put(1)
mine.put_nowait(2)   # the C put_nowait does not call an overriding put
print(mine.get(), mine.get_nowait(), isinstance(mine, queue.SimpleQueue))
for i in range(3):
    sq.put(i)
print([sq.get() for _ in range(3)], sq.empty(), sq.qsize())
try:
    sq.get(timeout=0.01)
except queue.Empty:
    print("empty")
try:
    pickle.dumps(sq)
except TypeError:
    print("unpicklable")
try:
    sq.attribute = 1
except AttributeError:
    print("no dict")
"""

INTERNAL = """
import concurrent.futures, queue
with concurrent.futures.ThreadPoolExecutor(2) as ex:
    print(sum(ex.map(abs, range(-5, 5))))
"""

CLEARED = """
import queue
q = queue.Queue()
for round in range(3):
    for i in range(100):
        q.put({"round": round, "i": i})
    with q.mutex:
        q.queue.clear()          # the items die: their addresses are reused
    for i in range(100):
        q.put([round, i])
    got = [q.get() for _ in range(100)]
print("done")
"""


class ThreadQueues(unittest.TestCase):
    def test_fifo_queue_pairs_each_get_with_its_put(self):
        proc, trace = tracefile.run(FIFO)
        ok(self, proc)
        self.assertEqual(proc.stdout, b"[0, 1, 2, 3, 4]\n")
        [obj] = objects(trace, "Queue")
        self.assertEqual(trace.blob(obj, "b"), "q")
        self.assertEqual(trace.site(obj)[1], 3)
        puts = [p for p in trace.of("QUEUE_PUT") if p.obj == obj.obj]
        gets = gets_ok(trace, obj.obj)
        self.assertEqual(len(puts), 5)
        self.assertEqual([g.a for g in gets], [p.a for p in puts])
        self.assertEqual(len({p.a for p in puts}), 5)
        self.assertTrue(all(trace.site(p)[1] == 5 for p in puts))
        self.assertTrue(all(trace.site(g)[1] == 6 for g in gets))

    def test_lifo_and_priority_queues_pair_by_item_not_by_order(self):
        proc, trace = tracefile.run(ORDERS)
        ok(self, proc)
        self.assertEqual(proc.stdout, b"[2, 0, 4, 1, 3] [0, 1, 2, 3, 4]\n")
        for type_name, expected in (("LifoQueue", [2, 0, 4, 1, 3]), ("PriorityQueue", [0, 1, 2, 3, 4])):
            [obj] = objects(trace, type_name)
            puts = [p for p in trace.of("QUEUE_PUT") if p.obj == obj.obj]   # put order 3 1 4 0 2
            put_index = {p.a: (3, 1, 4, 0, 2)[k] for k, p in enumerate(puts)}
            self.assertEqual([put_index[g.a] for g in gets_ok(trace, obj.obj)], expected, type_name)

    def test_the_same_object_queued_several_times_pairs_each_put_once(self):
        proc, trace = tracefile.run(SAME_OBJECT)
        ok(self, proc)
        self.assertEqual(proc.stdout, b"3 3\n")
        puts = [p.a for p in trace.of("QUEUE_PUT")]
        gets = [g.a for g in gets_ok(trace)]
        self.assertEqual(gets, puts)        # FIFO: same order as the puts

    def test_a_blocking_get_is_a_span_around_the_put_that_released_it(self):
        proc, trace = tracefile.run(BLOCKING)
        ok(self, proc)
        [put] = trace.of("QUEUE_PUT")
        [get] = trace.of("QUEUE_GET")
        self.assertEqual(get.a, put.a)
        self.assertLess(get.ts, put.ts)
        self.assertGreater(get.end, put.ts)
        self.assertNotEqual(get.ident, put.ident)

    def test_a_get_blocked_forever_shows_an_open_span(self):
        proc, trace = tracefile.run(BLOCKED_FOREVER)
        ok(self, proc)
        [get] = trace.of("QUEUE_GET")
        self.assertEqual(get.end, 0)

    def test_timeouts_and_nowait_fail_with_b1_and_raise_as_usual(self):
        proc, trace = tracefile.run(FAILURES)
        ok(self, proc)
        self.assertEqual(proc.stdout.decode().splitlines(), [
            "empty", "empty nowait", "full", "full nowait",
            "ValueError 'timeout' must be a non-negative number",
            "ValueError 'timeout' must be a non-negative number",
            "a", "True"])
        gets = trace.of("QUEUE_GET")
        puts = trace.of("QUEUE_PUT")
        self.assertEqual([g.b for g in gets], [1, 1, 1, 0, 0])
        self.assertEqual([p.b for p in puts], [0, 1, 1, 1, 0])
        failed_timeout_get, failed_timeout_put = gets[0], puts[1]
        self.assertGreater(failed_timeout_get.end, failed_timeout_get.ts)
        self.assertGreater(failed_timeout_put.end, failed_timeout_put.ts)
        # the failed puts of `marker` are not what the last get received
        self.assertEqual(gets[-1].a, puts[-1].a)
        self.assertEqual(gets[-2].a, puts[0].a)

    def test_task_done_and_join_are_recorded(self):
        proc, trace = tracefile.run(TASKS)
        ok(self, proc)
        self.assertEqual(proc.stdout, b"too many\n")
        done = trace.of("QUEUE_TASK_DONE")
        self.assertEqual(len(done), 12)
        self.assertEqual([d.a for d in done], [0] * 11 + [1])
        [join] = trace.of("QUEUE_JOIN")
        self.assertGreaterEqual(join.end, max(d.ts for d in done[:11]))
        self.assertEqual(trace.site(join)[1], 15)

    def test_simple_queue_keeps_type_repr_subclassing_and_pairs(self):
        proc, trace = tracefile.run(SIMPLE)
        ok(self, proc)
        self.assertEqual(proc.stdout.decode().splitlines(), [
            "True True", "('wrapped', 1) 2 True", "[0, 1, 2] True 0", "empty",
            "unpicklable", "no dict"])
        [sq] = objects(trace, "SimpleQueue")
        self.assertEqual(trace.blob(sq, "b"), "sq")
        [mine] = objects(trace, "Mine")
        puts = [p for p in trace.of("QUEUE_PUT") if p.obj == sq.obj]
        self.assertEqual([g.a for g in gets_ok(trace, sq.obj)], [p.a for p in puts])
        self.assertEqual(len([p for p in trace.of("QUEUE_PUT") if p.obj == mine.obj]), 2)
        self.assertEqual(len(gets_ok(trace, mine.obj)), 2)

    def test_queues_the_standard_library_makes_for_itself_are_silent(self):
        proc, trace = tracefile.run(INTERNAL)
        ok(self, proc)
        self.assertEqual(proc.stdout, b"25\n")
        self.assertEqual(trace.of("QUEUE_PUT", "QUEUE_GET"), [])

    def test_items_removed_without_get_do_not_mislead_later_pairs(self):
        proc, trace = tracefile.run(CLEARED)
        ok(self, proc)
        puts = trace.of("QUEUE_PUT")
        gets = gets_ok(trace)
        self.assertEqual(len(gets), 300)
        expected = [p.a for k, p in enumerate(puts) if (k // 100) % 2 == 1]
        self.assertEqual([g.a for g in gets], expected)


MP_PRODUCERS = """
import multiprocessing as mp, sys

def produce(q, n):
    for i in range(3):
        q.put(("item", n, i))

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    q = ctx.Queue()
    ps = [ctx.Process(target=produce, args=(q, n)) for n in range(3)]
    for p in ps:
        p.start()
    got = sorted(q.get(timeout=30) for _ in range(9))
    for p in ps:
        p.join()
    print(len(got), got[0], got[-1])
"""

MP_JOINABLE = """
import multiprocessing as mp, sys

def consume(q):
    while True:
        item = q.get()
        q.task_done()
        if item is None:
            return

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    jq = ctx.JoinableQueue()
    c = ctx.Process(target=consume, args=(jq,))
    c.start()
    for i in range(4):
        jq.put(i)
    jq.put(None)
    jq.join()
    c.join()
    print("joined", c.exitcode)
"""

MP_SIMPLE = """
import multiprocessing as mp, sys

def echo(inq, outq):
    outq.put(inq.get() * 2)

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    inq, outq = ctx.SimpleQueue(), ctx.SimpleQueue()
    p = ctx.Process(target=echo, args=(inq, outq))
    p.start()
    inq.put(21)
    print(outq.get())
    p.join()
"""

MP_NOWAIT = """
import multiprocessing as mp, queue, time
if __name__ == "__main__":
    q = mp.Queue()
    try:
        q.get(timeout=0.05)
    except queue.Empty:
        print("empty")
    q.put_nowait("x")
    while q.empty(): time.sleep(0.01)    # the feeder thread has sent it (a sleep does not ensure it)
    print(q.get_nowait())
"""

MP_BLOCKED_FOREVER = """
import multiprocessing as mp, os, sys, threading, time
q = mp.Queue()
main = threading.get_ident()
def main_reads():
    frame = sys._current_frames().get(main)
    while frame is not None:
        if frame.f_code.co_name == "_recv_bytes" and frame.f_code.co_filename.endswith("connection.py"):
            return True
        frame = frame.f_back
    return False
def exit_once_main_reads():     # inside the real read: its QUEUE_GET and PIPE_RECV are open
    while not main_reads():
        time.sleep(0.01)
    os._exit(0)
threading.Thread(target=exit_once_main_reads).start()
q.get()
"""

MANAGER = """
import multiprocessing as mp, sys

def work(q, out):
    out.put(q.get() + 1)

if __name__ == "__main__":
    with mp.Manager() as m:
        q = m.Queue()
        out = m.Queue()
        p = mp.Process(target=work, args=(q, out))
        p.start()
        q.put(41)
        print(out.get())
        p.join()
"""


class MultiprocessingQueues(unittest.TestCase):
    def check_producers(self, method):
        proc, trace = tracefile.run(MP_PRODUCERS, method)
        ok(self, proc)
        self.assertEqual(proc.stdout, b"9 ('item', 0, 0) ('item', 2, 2)\n")
        [obj] = objects(trace, "multiprocessing.Queue")
        self.assertEqual(trace.blob(obj, "b"), "q")
        qid = obj.obj
        puts = put_of(trace)
        self.assertEqual(len(puts), 9)
        self.assertEqual(len({p.pid for p in puts.values()}), 3)
        self.assertTrue(all(p.obj == qid for p in puts.values()))
        sends = {s.a: s for s in trace.of("PIPE_SEND") if s.obj == qid}
        recvs = [r for r in trace.of("PIPE_RECV") if r.obj == qid]
        gets = gets_ok(trace, qid)
        self.assertEqual(len(gets), 9)
        self.assertEqual(len(sends), 9)            # nine different contents
        self.assertEqual(sorted(r.a for r in recvs), sorted(sends))
        for g in gets:
            self.assertEqual(g.b, 2)
            send = sends[g.a]                      # the get names its bytes
            put = puts[send.b]                     # the send names its put
            self.assertEqual(put.pid, send.pid)
            self.assertLess(put.ts, g.end)
        self.assertEqual({sends[g.a].b for g in gets}, set(puts))

    def test_queue_pairs_across_processes_with_several_producers_fork(self):
        self.check_producers("fork")

    def test_queue_pairs_across_processes_with_several_producers_spawn(self):
        self.check_producers("spawn")

    def test_queue_pairs_across_processes_with_several_producers_forkserver(self):
        self.check_producers("forkserver")

    def test_joinable_queue_records_task_done_and_join(self):
        for method in ("fork", "spawn"):
            proc, trace = tracefile.run(MP_JOINABLE, method)
            ok(self, proc)
            self.assertEqual(proc.stdout, b"joined 0\n")
            [obj] = objects(trace, "multiprocessing.JoinableQueue")
            done = [d for d in trace.of("QUEUE_TASK_DONE") if d.obj == obj.obj]
            self.assertEqual(len(done), 5)
            self.assertTrue(all(d.pid != obj.pid for d in done))
            [join] = trace.of("QUEUE_JOIN")
            self.assertEqual(join.obj, obj.obj)
            self.assertGreaterEqual(join.end, max(d.ts for d in done))
            self.assertEqual(len(gets_ok(trace, obj.obj)), 5)

    def test_simple_queue_send_happens_inside_the_put_and_carries_its_id(self):
        for method in ("fork", "spawn", "forkserver"):
            proc, trace = tracefile.run(MP_SIMPLE, method)
            ok(self, proc)
            self.assertEqual(proc.stdout, b"42\n")
            queues = objects(trace, "multiprocessing.SimpleQueue")
            self.assertEqual(sorted(trace.blob(o, "b") for o in queues), ["inq", "outq"])   # `inq, outq = SimpleQueue(), SimpleQueue()`
            puts = put_of(trace)
            self.assertEqual(len(puts), 2)
            for send in trace.of("PIPE_SEND"):
                put = puts[send.b]
                self.assertEqual((put.pid, put.ident, put.obj), (send.pid, send.ident, send.obj))
                self.assertTrue(put.ts <= send.ts and send.end <= put.end)
            gets = [g for g in trace.of("QUEUE_GET") if g.b == 2]
            self.assertEqual(len(gets), 2)
            keys = {s.a for s in trace.of("PIPE_SEND")}
            self.assertEqual({g.a for g in gets}, keys)

    def test_nowait_and_timeout_on_a_multiprocessing_queue(self):
        proc, trace = tracefile.run(MP_NOWAIT)
        ok(self, proc)
        self.assertEqual(proc.stdout, b"empty\nx\n")
        gets = trace.of("QUEUE_GET")
        self.assertEqual([g.b for g in gets], [3, 2])
        [put] = trace.of("QUEUE_PUT")
        self.assertEqual(trace.site(put)[1], 9)
        self.assertEqual(trace.site(gets[1])[1], 11)
        [send] = [s for s in trace.of("PIPE_SEND") if s.obj == put.obj]
        self.assertEqual((send.b, send.a), (put.a, gets[1].a))

    def test_a_get_blocked_forever_shows_open_get_and_receive_spans(self):
        proc, trace = tracefile.run(MP_BLOCKED_FOREVER)
        ok(self, proc)
        [get] = trace.of("QUEUE_GET")
        [recv] = trace.of("PIPE_RECV")
        self.assertEqual((get.end, recv.end), (0, 0))
        self.assertEqual(recv.obj, get.obj)
        self.assertEqual(trace.site(get)[1], MP_BLOCKED_FOREVER.splitlines().index("q.get()") + 1)

    def test_manager_queue_proxies_pair_by_content(self):
        proc, trace = tracefile.run(MANAGER)
        ok(self, proc)
        self.assertEqual(proc.stdout, b"42\n")
        objs = objects(trace, "Manager.Queue")
        self.assertEqual(sorted(trace.blob(o, "b") for o in objs), ["out", "q"])
        by_obj = collections.defaultdict(list)
        for r in trace.of("QUEUE_PUT", "QUEUE_GET"):
            by_obj[r.obj].append(r)
        self.assertEqual(set(by_obj), {o.obj for o in objs})
        for recs in by_obj.values():
            put, get = sorted(recs, key=lambda r: r.kind)
            self.assertEqual((put.name, get.name), ("QUEUE_PUT", "QUEUE_GET"))
            self.assertEqual((put.b, get.b), (2, 2))
            self.assertEqual(put.a, get.a)
            self.assertNotEqual(put.a, 0)
            self.assertNotEqual(put.pid, get.pid)


class ContentKeys(unittest.TestCase):
    def test_keys_stay_below_2_53_and_differ_by_content_and_length(self):
        samples = (b"", b"a", b"b", b"ab", b"x" * 9000)
        keys = {pipes.content_key(b) for b in samples}
        self.assertEqual(keys, {pipes.content_key(memoryview(b)) for b in samples})
        self.assertEqual(len(keys), 5)
        self.assertTrue(all(0 <= k < 2 ** 53 for k in keys))
        big = bytearray(100000)
        before = pipes.content_key(big)
        big[50000] = 1        # the middle of a big message is not hashed
        self.assertEqual(pipes.content_key(big), before)
        big[-1] = 1
        self.assertNotEqual(pipes.content_key(big), before)


if __name__ == "__main__":
    unittest.main()
