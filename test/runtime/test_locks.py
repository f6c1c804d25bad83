"""threading.Lock / RLock: records, semantics, what is not traced."""
import subprocess
import sys
import textwrap
import unittest

from test.runtime.locktrace import LOCK_KINDS, line, objects, of, run


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
            import threading, time, ctwait
            lock = threading.Lock()
            held = threading.Event()
            def holder():
                with lock:
                    held.set()
                    ctwait.blocked_at(threading.main_thread(), 12)    # main waits for it
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
            import threading, time, ctwait
            r = threading.RLock()
            got = threading.Event()
            def other():
                with r:
                    got.set()
                    ctwait.blocked_at(threading.main_thread(), 12)
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
        self.assertEqual(labels, ["", "Account.lock", "locks[\u2026]", "locks[\u2026]"])

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


if __name__ == "__main__":
    unittest.main()
