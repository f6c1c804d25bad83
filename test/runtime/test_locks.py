import os
import subprocess
import sys
import textwrap
import unittest

from test.runtime import tracefile

LOCK_KINDS = ("LOCK_WAIT", "LOCK_HOLD", "LOCK_TRY_FAIL", "LOCK_RELEASE")


def run(code, *args, **kw):
    proc, trace = tracefile.run(textwrap.dedent(code), *args, **kw)
    if proc.returncode != 0:
        raise AssertionError("script failed (%d):\n%s\n%s" % (
            proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")))
    return proc, trace


def objects(trace, type_name=None):
    """{label: OBJECT record} of the objects of type_name."""
    out = {}
    for rec in trace.of("OBJECT"):
        if type_name is None or trace.blob(rec) == type_name:
            out[trace.blob(rec, "b")] = rec
    return out


def of(trace, obj, *kinds):
    return [r for r in trace.of(*kinds) if r.obj == obj]


def line(trace, rec):
    return trace.site(rec)[1]


class ThreadingLock(unittest.TestCase):
    def test_uncontended_with_is_one_closed_hold_at_the_with_line(self):
        _, trace = run("""
            import threading
            lock = threading.Lock()
            with lock:
                pass
            lock.acquire()
            lock.release()
            """)
        obj = objects(trace, "Lock")["lock"]
        self.assertEqual(line(trace, obj), 3)
        holds = of(trace, obj.obj, "LOCK_HOLD")
        self.assertEqual([line(trace, h) for h in holds], [4, 6])
        for h in holds:
            self.assertGreaterEqual(h.end, h.ts)
            self.assertGreater(h.end, 0)
        self.assertEqual(of(trace, obj.obj, "LOCK_WAIT", "LOCK_TRY_FAIL"), [])

    def test_contended_acquire_is_a_wait_then_a_hold(self):
        _, trace = run("""
            import threading, time
            lock = threading.Lock()
            held = threading.Event()
            def holder():
                with lock:
                    held.set()
                    time.sleep(0.3)
            t = threading.Thread(target=holder)
            t.start()
            held.wait()
            with lock:
                pass
            t.join()
            """)
        obj = objects(trace, "Lock")["lock"].obj
        waits = of(trace, obj, "LOCK_WAIT")
        self.assertEqual(len(waits), 1)
        wait = waits[0]
        self.assertEqual((line(trace, wait), wait.a), (12, 1))
        holds = of(trace, obj, "LOCK_HOLD")
        self.assertEqual(len(holds), 2)
        other, mine = holds
        self.assertEqual(line(trace, other), 6)
        self.assertNotEqual(other.ident, wait.ident)
        self.assertEqual((line(trace, mine), mine.ident), (12, wait.ident))
        self.assertGreaterEqual(mine.ts, wait.end)
        self.assertGreaterEqual(wait.end, other.end)     # it waited for the other's release

    def test_timeout_and_blocking_false_keep_their_results(self):
        proc, trace = run("""
            import threading
            lock = threading.Lock()
            lock.acquire()
            print(lock.acquire(False), lock.acquire(blocking=False), lock.acquire(timeout=0.05),
                  lock.acquire(True, 0))
            lock.release()
            print(lock.acquire(timeout=1), lock.locked())
            lock.release()
            """)
        self.assertEqual(proc.stdout.split(), [b"False", b"False", b"False", b"False", b"True", b"True"])
        obj = objects(trace, "Lock")["lock"].obj
        self.assertEqual(len(of(trace, obj, "LOCK_TRY_FAIL")), 2)
        waits = of(trace, obj, "LOCK_WAIT")
        self.assertEqual([w.a for w in waits], [0, 0])
        self.assertTrue(all(w.end >= w.ts for w in waits))
        self.assertEqual([line(trace, h) for h in of(trace, obj, "LOCK_HOLD")], [4, 8])

    def test_rlock_records_only_the_outermost_hold(self):
        _, trace = run("""
            import threading
            r = threading.RLock()
            with r:
                with r:
                    r.acquire()
                    r.release()
            r.acquire(); r.acquire(); r.release(); r.release()
            """)
        obj = objects(trace, "RLock")["r"].obj
        holds = of(trace, obj, "LOCK_HOLD")
        self.assertEqual([line(trace, h) for h in holds], [4, 8])
        self.assertTrue(all(h.end for h in holds))
        # the first hold ends after the inner acquire/release pairs
        inner_site_records = [r for r in trace.records if r.kind and r.pid == holds[0].pid
                              and r.name == "LOCK_HOLD" and line(trace, r) in (5, 6)]
        self.assertEqual(inner_site_records, [])

    def test_rlock_held_by_another_thread_is_waited_for(self):
        _, trace = run("""
            import threading, time
            r = threading.RLock()
            got = threading.Event()
            def other():
                with r:
                    got.set()
                    time.sleep(0.2)
            t = threading.Thread(target=other); t.start()
            got.wait()
            print(r.acquire(timeout=0.01))
            with r:
                pass
            t.join()
            """)
        obj = objects(trace, "RLock")["r"].obj
        self.assertEqual([w.a for w in of(trace, obj, "LOCK_WAIT")], [0, 1])
        self.assertEqual(len(of(trace, obj, "LOCK_HOLD")), 2)

    def test_holds_of_one_lock_never_overlap_under_contention(self):
        proc, trace = run("""
            import threading
            lock = threading.Lock()
            r = threading.RLock()
            count = [0, 0]
            def work():
                for _ in range(300):
                    with lock:
                        count[0] += 1
                    with r:
                        with r:
                            count[1] += 1
            ts = [threading.Thread(target=work) for _ in range(3)]
            for t in ts: t.start()
            for t in ts: t.join()
            print(count)
            """)
        self.assertEqual(proc.stdout.strip(), b"[900, 900]")
        for label, kind in (("lock", "Lock"), ("r", "RLock")):
            holds = sorted(of(trace, objects(trace, kind)[label].obj, "LOCK_HOLD"), key=lambda h: h.ts)
            self.assertEqual(len(holds), 900)
            for a, b in zip(holds, holds[1:]):
                self.assertLessEqual(a.ts, a.end)
                self.assertLessEqual(a.end, b.ts)
            waits = of(trace, objects(trace, kind)[label].obj, "LOCK_WAIT")
            self.assertTrue(all(w.a == 1 and w.end >= w.ts for w in waits))

    def test_semantics_are_those_of_the_real_locks(self):
        code = """
            import copy, pickle, threading, weakref, _thread
            for make, real in ((threading.Lock, _thread.allocate_lock), (threading.RLock, _thread.RLock)):
                lock = make()
                raw = real()
                assert type(lock.acquire()) is bool
                lock.release()
                for args in ((False, 1), (True, -5)):
                    for l in (lock, raw):
                        try:
                            l.acquire(*args)
                        except ValueError as e:
                            msg = str(e)
                        else:
                            raise AssertionError("no error for %r" % (args,))
                    try:
                        lock.acquire(*args)
                    except ValueError as e:
                        assert str(e) == msg, (str(e), msg)
                for l in (lock, raw):
                    try:
                        l.release()
                    except RuntimeError as e:
                        err = (type(e), str(e))
                try:
                    lock.release()
                except RuntimeError as e:
                    assert (type(e), str(e)) == err
                else:
                    raise AssertionError("release of an unlocked lock")
                try:
                    pickle.dumps(lock)
                except TypeError as e:
                    assert "cannot pickle" in str(e), e
                else:
                    raise AssertionError("pickled a lock")
                try:
                    copy.copy(lock)
                except TypeError:
                    pass
                assert weakref.ref(lock)() is lock
                assert repr(lock).startswith("<unlocked _thread."), repr(lock)
                with lock:
                    assert repr(lock).startswith("<locked _thread."), repr(lock)
                assert isinstance(lock, type(raw)) and lock.__class__ is type(raw)
                if hasattr(raw, "_at_fork_reinit"):
                    lock.acquire()
                    lock._at_fork_reinit()
                    assert lock.acquire(False)
                    lock.release()
            lock = threading.Lock()
            assert isinstance(lock, _thread.LockType)
            if isinstance(threading.Lock, type):
                assert isinstance(lock, threading.Lock) and isinstance(_thread.allocate_lock(), threading.Lock)
            assert lock.locked() is False and lock.acquire() and lock.locked() is True
            assert lock.__enter__() is False if False else True
            assert repr(type(lock)) == "<class '_thread.lock'>", repr(type(lock))
            if isinstance(threading.Lock, type):   # 3.13+: the lock type is threading.Lock
                other = type(lock)()
                assert type(other) is type(lock) and other is not lock and other.acquire(False)
            else:
                try:
                    type(lock)()
                except TypeError as e:
                    assert str(e) == "cannot create '_thread.lock' instances", e
                else:
                    raise AssertionError("instantiated the lock type")
            r2 = type(threading.RLock())()
            assert type(r2) is type(threading.RLock()) and r2.acquire() and r2.acquire()
            if isinstance(threading.Lock, type):
                try:
                    class MyLock(threading.Lock):
                        pass
                except TypeError:
                    pass
                else:
                    raise AssertionError("subclassed threading.Lock")
            assert pickle.loads(pickle.dumps(threading.Lock)) is threading.Lock
            assert pickle.loads(pickle.dumps(threading.RLock)) is threading.RLock
            r = threading.RLock()
            with r:
                with r:
                    assert r._is_owned()
                    if hasattr(r, "_recursion_count"):
                        assert r._recursion_count() == 2
            assert not r._is_owned()
            print("ok")
            """
        proc, trace = run(code)
        self.assertEqual(proc.stdout.strip(), b"ok")
        self.assertTrue(objects(trace, "Lock"))
        # and the script holds untraced too
        plain = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True)
        self.assertEqual(plain.stdout.strip(), b"ok", plain.stderr)

    def test_locks_of_the_standard_library_are_not_traced(self):
        _, trace = run("""
            import concurrent.futures, logging, queue, threading
            logging.basicConfig(level=logging.INFO, format="%(message)s")
            q = queue.Queue()
            def work(i):
                q.put(i)
                logging.info("w%d", i)
                return q.get()
            ts = [threading.Thread(target=work, args=(i,)) for i in range(3)]
            for t in ts: t.start()
            for t in ts: t.join()
            with concurrent.futures.ThreadPoolExecutor(2) as ex:
                print(sum(ex.map(work, range(4))))
            """)
        for kind in LOCK_KINDS + ("COND_WAIT", "COND_NOTIFY", "EVENT_WAIT", "EVENT_SET"):
            self.assertEqual(trace.of(kind), [], kind)
        self.assertEqual([trace.blob(o) for o in trace.of("OBJECT")
                          if trace.blob(o) in ("Lock", "RLock", "Condition", "Event", "Semaphore")], [])

    def test_labels_name_attributes_with_their_class(self):
        _, trace = run("""
            import threading
            class Account:
                def __init__(self):
                    self.lock = threading.Lock()
            a = Account()
            locks = [threading.RLock() for _ in range(2)]
            threading.Lock()
            """)
        labels = sorted(trace.blob(o, "b") for o in trace.of("OBJECT") if trace.blob(o) in ("Lock", "RLock"))
        self.assertEqual(labels, ["", "Account.lock", "locks", "locks"])

    def test_a_disabled_writer_leaves_locks_working(self):
        proc, trace = run("""
            import threading
            from concurrency_trace import writer
            lock = threading.Lock()
            r = threading.RLock()
            writer.enabled = False
            with lock:
                with r:
                    print(lock.acquire(False), r.acquire(False))
                    r.release()
            writer.enabled = True
            with lock:
                pass
            """)
        self.assertEqual(proc.stdout.split(), [b"False", b"True"])
        obj = objects(trace, "Lock")["lock"].obj
        self.assertEqual([line(trace, h) for h in of(trace, obj, "LOCK_HOLD")], [12])


class ThreadingConditionEventBarrier(unittest.TestCase):
    def test_condition_wait_notify_and_no_false_holds(self):
        proc, trace = run("""
            import threading, time
            cond = threading.Condition()
            lcond = threading.Condition(threading.Lock())
            items = []
            def consumer(c):
                with c:
                    while not items:
                        c.wait()
                    items.pop()
            for c in (cond, lcond):
                t = threading.Thread(target=consumer, args=(c,))
                t.start()
                time.sleep(0.2)
                with c:
                    items.append(1)
                    c.notify()
                t.join()
            with cond:
                print(cond.wait(0.01))
                cond.notify_all()
            """)
        self.assertEqual(proc.stdout.strip(), b"False")
        cond = objects(trace, "Condition")["cond"].obj
        lcond = objects(trace, "Condition")["lcond"].obj
        lock = objects(trace, "Lock")["lcond"].obj       # the Lock given to lcond
        waits = of(trace, cond, "COND_WAIT")
        self.assertEqual([w.a for w in waits], [1, 0])
        self.assertEqual([(n.a, line(trace, n)) for n in of(trace, cond, "COND_NOTIFY")], [(1, 17), (-1, 21)])
        self.assertEqual([w.a for w in of(trace, lcond, "COND_WAIT")], [1])
        self.assertEqual([n.a for n in of(trace, lcond, "COND_NOTIFY")], [1])
        # Condition() without a lock: its RLock's holds carry the Condition's id.
        # consumer: with c (7), released by wait, re-acquired in wait (9); main: with c (15);
        # cond also: with cond (19), re-acquired after wait(0.01) (20)
        for obj in (cond, lock):
            holds = of(trace, obj, "LOCK_HOLD")
            self.assertEqual([line(trace, h) for h in holds][:3], [7, 15, 9], obj)
            self.assertTrue(all(h.end for h in holds))
            self.assertEqual(of(trace, obj, "LOCK_TRY_FAIL"), [])
        self.assertEqual([line(trace, h) for h in of(trace, cond, "LOCK_HOLD")][3:], [19, 20])
        self.assertEqual(len(of(trace, lock, "LOCK_HOLD")), 3)

    def test_event_set_clear_wait(self):
        proc, trace = run("""
            import threading
            ev = threading.Event()
            t = threading.Thread(target=lambda: print(ev.wait(5)))
            t.start()
            ev.set()
            t.join()
            ev.clear()
            print(ev.wait(0.01))
            """)
        self.assertEqual(proc.stdout.split(), [b"True", b"False"])
        ev = objects(trace, "Event")["ev"].obj
        self.assertEqual([(s.b, line(trace, s)) for s in of(trace, ev, "EVENT_SET")], [(0, 6), (1, 8)])
        waits = of(trace, ev, "EVENT_WAIT")
        self.assertEqual(sorted((line(trace, w), w.a) for w in waits), [(4, 1), (9, 0)])

    def test_barrier_wait_records_index_and_broken(self):
        _, trace = run("""
            import threading
            b = threading.Barrier(2)
            t = threading.Thread(target=b.wait)
            t.start()
            b.wait()
            t.join()
            lone = threading.Barrier(2, timeout=0.05)
            try:
                lone.wait()
            except threading.BrokenBarrierError:
                print("broken")
            """)
        b = objects(trace, "Barrier")["b"].obj
        self.assertEqual(sorted(w.a for w in of(trace, b, "BARRIER_WAIT")), [0, 1])
        lone = objects(trace, "Barrier")["lone"].obj
        self.assertEqual([w.a for w in of(trace, lone, "BARRIER_WAIT")], [-1])

    def test_semaphore_holds_waits_and_signals(self):
        proc, trace = run("""
            import threading, time
            sem = threading.BoundedSemaphore(1)
            signal = threading.Semaphore(0)
            def worker():
                with sem:
                    time.sleep(0.2)
                signal.release()
            t = threading.Thread(target=worker)
            t.start()
            time.sleep(0.05)
            with sem:
                pass
            print(signal.acquire(timeout=5), sem.acquire(False), signal.acquire(False))
            t.join()
            try:
                sem.release(); sem.release()
            except ValueError:
                print("too many")
            """)
        self.assertEqual(proc.stdout.split(), [b"True", b"True", b"False", b"too", b"many"])
        sem = objects(trace, "BoundedSemaphore")["sem"].obj
        signal = objects(trace, "Semaphore")["signal"].obj
        self.assertEqual([w.a for w in of(trace, sem, "LOCK_WAIT")], [1])
        self.assertEqual([line(trace, h) for h in of(trace, sem, "LOCK_HOLD")], [6, 12, 14])
        self.assertEqual(len(of(trace, signal, "LOCK_RELEASE")), 1)     # released by a non-holder
        self.assertEqual(len(of(trace, signal, "LOCK_TRY_FAIL")), 1)


FORK_OR_SPAWN = """
    import multiprocessing as mp, sys
    def child(lock, r):
        with lock:
            pass
        with r:
            r.acquire(); r.release()
    if __name__ == "__main__":
        ctx = mp.get_context(sys.argv[1])
        lock = ctx.Lock()
        r = ctx.RLock()
        with lock:
            pass
        p = ctx.Process(target=child, args=(lock, r))
        p.start(); p.join()
        sys.exit(p.exitcode)
    """


class Multiprocessing(unittest.TestCase):
    def check_same_ids(self, method):
        _, trace = run(FORK_OR_SPAWN, method)
        lock = objects(trace, "multiprocessing.Lock")["lock"]
        r = objects(trace, "multiprocessing.RLock")["r"]
        parent = lock.pid
        child_holds = [h for h in trace.of("LOCK_HOLD") if h.pid != parent]
        self.assertEqual(sorted((h.obj, line(trace, h)) for h in child_holds),
                         sorted([(lock.obj, 4), (r.obj, 6)]))
        self.assertTrue(all(h.end for h in child_holds))
        self.assertEqual([line(trace, h) for h in of(trace, lock.obj, "LOCK_HOLD") if h.pid == parent], [12])
        # nothing from the multiprocessing plumbing (the spawn pipe, the resource tracker)
        self.assertEqual({r.obj for r in trace.of(*LOCK_KINDS)}, {lock.obj, r.obj})

    def test_lock_is_one_object_across_fork(self):
        self.check_same_ids("fork")

    def test_lock_is_one_object_across_spawn(self):
        self.check_same_ids("spawn")

    def test_contention_timeouts_and_release_from_another_process(self):
        proc, trace = run("""
            import multiprocessing as mp, time
            def hold(lock, ev):
                lock.acquire()
                ev.set()
                time.sleep(0.3)
                lock.release()
            def release(lock):
                lock.release()
            if __name__ == "__main__":
                ctx = mp.get_context("fork")
                lock = ctx.Lock()
                ev = ctx.Event()
                p = ctx.Process(target=hold, args=(lock, ev)); p.start()
                ev.wait()
                print(lock.acquire(False), lock.acquire(timeout=0.01))
                with lock:
                    pass
                p.join()
                lock.acquire()
                p = ctx.Process(target=release, args=(lock,)); p.start(); p.join()
                print(lock.acquire(False))
                lock.release()
            """)
        self.assertEqual(proc.stdout.split(), [b"False", b"False", b"True"])
        lock = objects(trace, "multiprocessing.Lock")["lock"]
        parent = lock.pid
        self.assertEqual(len(of(trace, lock.obj, "LOCK_TRY_FAIL")), 1)
        self.assertEqual([(w.a, line(trace, w)) for w in of(trace, lock.obj, "LOCK_WAIT")], [(0, 16), (1, 17)])
        rel = of(trace, lock.obj, "LOCK_RELEASE")
        self.assertEqual(len(rel), 1)
        self.assertNotEqual(rel[0].pid, parent)
        holds = [(h.pid == parent, line(trace, h), bool(h.end)) for h in of(trace, lock.obj, "LOCK_HOLD")]
        # the hold at line 20 was ended by the child's release: it stays open here
        self.assertEqual(holds, [(False, 4, True), (True, 17, True), (True, 20, False), (True, 22, True)])

    def test_mp_lock_holds_never_overlap_across_processes(self):
        proc, trace = run("""
            import multiprocessing as mp
            def work(lock, v):
                for _ in range(200):
                    with lock:
                        v.value += 1
            if __name__ == "__main__":
                ctx = mp.get_context("fork")
                lock = ctx.Lock()
                v = ctx.Value("i", 0, lock=False)
                ps = [ctx.Process(target=work, args=(lock, v)) for _ in range(2)]
                for p in ps: p.start()
                work(lock, v)
                for p in ps: p.join()
                print(v.value)
            """)
        self.assertEqual(proc.stdout.strip(), b"600")
        lock = objects(trace, "multiprocessing.Lock")["lock"].obj
        holds = sorted(of(trace, lock, "LOCK_HOLD"), key=lambda h: h.ts)
        self.assertEqual(len(holds), 600)
        self.assertEqual(len({h.pid for h in holds}), 3)
        for a, b in zip(holds, holds[1:]):
            self.assertLessEqual(a.end, b.ts)

    def test_value_get_lock_is_traced_but_not_each_access(self):
        proc, trace = run("""
            import multiprocessing as mp
            def add(counter, arr):
                for _ in range(5):
                    counter.value += 1
                    arr[0] += 1
                with counter.get_lock():
                    counter.value += 1
                with arr:
                    arr[1] = 7
            if __name__ == "__main__":
                ctx = mp.get_context("fork")
                counter = ctx.Value("i", 0)
                arr = ctx.Array("i", 3)
                p = ctx.Process(target=add, args=(counter, arr)); p.start(); p.join()
                add(counter, arr)
                print(counter.value, arr[:])
            """)
        self.assertEqual(proc.stdout.strip(), b"12 [10, 7, 0]")
        rlocks = objects(trace, "multiprocessing.RLock")
        self.assertEqual(sorted(rlocks), ["arr.get_lock()", "counter.get_lock()"])
        counter = rlocks["counter.get_lock()"].obj
        arr = rlocks["arr.get_lock()"].obj
        self.assertEqual(sorted(line(trace, h) for h in of(trace, counter, "LOCK_HOLD")), [7, 7])
        self.assertEqual(sorted(line(trace, h) for h in of(trace, arr, "LOCK_HOLD")), [9, 9])
        self.assertEqual(len({h.pid for h in of(trace, counter, "LOCK_HOLD")}), 2)
        self.assertEqual(trace.of("LOCK_WAIT", "LOCK_TRY_FAIL", "LOCK_RELEASE"), [])

    def test_condition_event_barrier_semaphore(self):
        proc, trace = run("""
            import multiprocessing as mp, sys
            def child(cond, ev, bar, sem):
                with cond:
                    cond.wait_for(lambda: True)
                    cond.notify_all()
                ev.set()
                bar.wait(5)
                sem.release()
            if __name__ == "__main__":
                ctx = mp.get_context(sys.argv[1])
                cond = ctx.Condition()
                ev = ctx.Event()
                bar = ctx.Barrier(2)
                sem = ctx.Semaphore(0)
                p = ctx.Process(target=child, args=(cond, ev, bar, sem)); p.start()
                print(ev.wait(5))
                print(bar.wait(5) in (0, 1))
                print(sem.acquire(timeout=5))
                p.join()
                with cond:
                    print(cond.wait(0.01))
            """, "spawn")
        self.assertEqual(proc.stdout.split(), [b"True", b"True", b"True", b"False"])
        objs = {trace.blob(o): o for o in trace.of("OBJECT") if trace.blob(o).startswith("multiprocessing.")}
        self.assertEqual(sorted(objs), ["multiprocessing.Barrier", "multiprocessing.Condition",
                                        "multiprocessing.Event", "multiprocessing.Semaphore"])
        parent = objs["multiprocessing.Condition"].pid
        cond = objs["multiprocessing.Condition"].obj
        self.assertEqual([(h.pid == parent, line(trace, h)) for h in of(trace, cond, "LOCK_HOLD")],
                         [(False, 4), (True, 21), (True, 22)])
        self.assertEqual([(n.pid == parent, n.a) for n in of(trace, cond, "COND_NOTIFY")], [(False, -1)])
        self.assertEqual([(w.pid == parent, w.a) for w in of(trace, cond, "COND_WAIT")], [(True, 0)])
        ev = objs["multiprocessing.Event"].obj
        self.assertEqual([s.pid == parent for s in of(trace, ev, "EVENT_SET")], [False])
        self.assertEqual([(w.pid == parent, w.a) for w in of(trace, ev, "EVENT_WAIT")], [(True, 1)])
        bar = objs["multiprocessing.Barrier"].obj
        self.assertEqual(sorted(w.a for w in of(trace, bar, "BARRIER_WAIT")), [0, 1])
        self.assertEqual(len({w.pid for w in of(trace, bar, "BARRIER_WAIT")}), 2)
        sem = objs["multiprocessing.Semaphore"].obj
        self.assertEqual([r.pid == parent for r in of(trace, sem, "LOCK_RELEASE")], [False])
        self.assertEqual([h.pid == parent for h in of(trace, sem, "LOCK_HOLD")], [True])
        # the Condition's, Event's and Barrier's internal semaphores record nothing
        self.assertEqual({r.obj for r in trace.of(*LOCK_KINDS)}, {cond, sem})

    def test_an_untraced_reader_unpickles_a_traced_semlock(self):
        proc, trace = run("""
            import multiprocessing as mp, subprocess, sys
            from multiprocessing import context, reduction
            lock = mp.get_context("spawn").Lock()
            class FakePopen:
                pass
            context.set_spawning_popen(FakePopen())
            try:
                data = bytes(reduction.ForkingPickler.dumps(lock))
            finally:
                context.set_spawning_popen(None)
            assert b"concurrency-trace" in data
            lock.acquire()
            reader = ("import pickle, sys; l = pickle.loads(sys.stdin.buffer.read()); "
                      "print(l.acquire(False), type(l).__name__, 'acquire' in vars(l), l.__dict__.get('_ct'))")
            env = {k: v for k, v in __import__("os").environ.items()
                   if not k.startswith("CONCURRENCY_TRACE") and k != "PYTHONPATH"}
            out = subprocess.run([sys.executable, "-c", reader], input=data, env=env,
                                 capture_output=True)
            sys.stdout.write(out.stdout.decode() + out.stderr.decode())
            """)
        self.assertEqual(proc.stdout.split(), [b"False", b"Lock", b"True", b"None"])


MANAGER = """
    import multiprocessing as mp, sys, time
    def child(ml, mr, ev):
        with ml:
            ev.set()
            time.sleep(0.3)
        with mr:
            with mr:
                pass
    if __name__ == "__main__":
        ctx = mp.get_context(sys.argv[1])
        with ctx.Manager() as m:
            ml = m.Lock()
            mr = m.RLock()
            ev = m.Event()
            p = ctx.Process(target=child, args=(ml, mr, ev)); p.start()
            ev.wait(5)
            print(ml.acquire(False))
            with ml:
                pass
            p.join()
            print(ml.acquire(timeout=1)); ml.release()
    """


class ManagerLocks(unittest.TestCase):
    def test_manager_lock_is_traced_on_the_client_side_with_one_id(self):
        proc, trace = run(MANAGER, "fork")
        self.assertEqual(proc.stdout.split(), [b"False", b"True"])
        ml = objects(trace, "Manager.Lock")["ml"]
        mr = objects(trace, "Manager.RLock")["mr"]
        parent = ml.pid
        holds = [(h.pid == parent, line(trace, h)) for h in of(trace, ml.obj, "LOCK_HOLD")]
        self.assertEqual(holds, [(False, 4), (True, 19), (True, 22)])
        self.assertTrue(all(h.end for h in of(trace, ml.obj, "LOCK_HOLD")))
        self.assertEqual([w.a for w in of(trace, ml.obj, "LOCK_WAIT")], [1, 1])
        self.assertEqual(len(of(trace, ml.obj, "LOCK_TRY_FAIL")), 1)
        self.assertEqual([(h.pid == parent, line(trace, h)) for h in of(trace, mr.obj, "LOCK_HOLD")],
                         [(False, 7)])
        # the manager's server process records no lock events of its own
        self.assertEqual({r.obj for r in trace.of(*LOCK_KINDS)}, {ml.obj, mr.obj})

    def test_manager_condition_event_barrier(self):
        proc, trace = run("""
            import multiprocessing as mp
            def child(cond, ev, bar):
                with cond:
                    cond.notify_all()
                ev.set()
                bar.wait(5)
            if __name__ == "__main__":
                ctx = mp.get_context("fork")
                with ctx.Manager() as m:
                    cond = m.Condition()
                    ev = m.Event()
                    bar = m.Barrier(2)
                    p = ctx.Process(target=child, args=(cond, ev, bar))
                    with cond:
                        p.start()
                        print(cond.wait(5))
                    print(ev.wait(5), bar.wait(5) in (0, 1))
                    p.join()
            """)
        self.assertEqual(proc.stdout.split(), [b"True", b"True", b"True"])
        objs = {trace.blob(o): o for o in trace.of("OBJECT") if trace.blob(o).startswith("Manager.")}
        self.assertEqual(sorted(objs), ["Manager.Barrier", "Manager.Condition", "Manager.Event"])
        parent = objs["Manager.Condition"].pid
        cond = objs["Manager.Condition"].obj
        # parent: with cond (15), ended by wait, re-held after it (17); child: with cond (4)
        holds = sorted((h.pid == parent, line(trace, h)) for h in of(trace, cond, "LOCK_HOLD"))
        self.assertEqual(holds, [(False, 4), (True, 15), (True, 17)])
        self.assertTrue(all(h.end for h in of(trace, cond, "LOCK_HOLD")))
        self.assertEqual([(w.pid == parent, w.a) for w in of(trace, cond, "COND_WAIT")], [(True, 1)])
        self.assertEqual([(n.pid == parent, n.a) for n in of(trace, cond, "COND_NOTIFY")], [(False, -1)])
        ev = objs["Manager.Event"].obj
        self.assertEqual([s.pid == parent for s in of(trace, ev, "EVENT_SET")], [False])
        self.assertEqual([(w.pid == parent, w.a) for w in of(trace, ev, "EVENT_WAIT")], [(True, 1)])
        bar = objs["Manager.Barrier"].obj
        self.assertEqual(sorted(w.a for w in of(trace, bar, "BARRIER_WAIT")), [0, 1])


if __name__ == "__main__":
    unittest.main()
