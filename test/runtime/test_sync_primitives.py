"""threading Condition, Event, Barrier, Semaphore."""
import unittest

from test.runtime.locktrace import line, objects, of, run


class ThreadingConditionEventBarrier(unittest.TestCase):
    def test_condition_wait_notify_and_no_false_holds(self):
        proc, trace = run("""
            import threading, time, ctwait
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
                ctwait.blocked_at(t, 9)     # the consumer waits first
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
            import threading, time, ctwait
            sem = threading.BoundedSemaphore(1)
            signal = threading.Semaphore(0)
            def worker():
                with sem:
                    ctwait.blocked_at(threading.main_thread(), 12)    # main waits for it
                signal.release()
            t = threading.Thread(target=worker)
            t.start()
            while sem._value: time.sleep(0.001)     # the worker holds it first
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


if __name__ == "__main__":
    unittest.main()
