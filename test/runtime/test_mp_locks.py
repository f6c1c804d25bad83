"""multiprocessing.synchronize: identity across fork and spawn, records, pickling."""
import unittest

from test.runtime.locktrace import LOCK_KINDS, line, objects, of, run


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
            import multiprocessing as mp, os, time, ctwait
            def hold(lock, ev):
                lock.acquire()
                ev.set()
                ctwait.process_blocked_after(ev, os.getppid())    # the parent waits in `with lock`
                lock.release()
            def release(lock):
                lock.release()
            if __name__ == "__main__":
                ctx = mp.get_context("fork")
                lock = ctx.Lock()
                ev = ctx.Event()
                p = ctx.Process(target=hold, args=(lock, ev)); p.start()
                ev.wait()
                print(lock.acquire(False), lock.acquire(timeout=0.01)); ev.clear()
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
        # (60 s timeouts: a spawned child starts a traced interpreter, 5 s under load)
        proc, trace = run("""
            import multiprocessing as mp, sys
            def child(cond, ev, bar, sem):
                with cond:
                    cond.wait_for(lambda: True)
                    cond.notify_all()
                ev.set()
                bar.wait(60)
                sem.release()
            if __name__ == "__main__":
                ctx = mp.get_context(sys.argv[1])
                cond = ctx.Condition()
                ev = ctx.Event()
                bar = ctx.Barrier(2)
                sem = ctx.Semaphore(0)
                p = ctx.Process(target=child, args=(cond, ev, bar, sem)); p.start()
                print(ev.wait(60))
                print(bar.wait(60) in (0, 1))
                print(sem.acquire(timeout=60))
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


if __name__ == "__main__":
    unittest.main()
