"""Manager().Lock() & co, traced on the client side."""
import unittest

from test.runtime.locktrace import LOCK_KINDS, line, objects, of, run


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
            ev.wait(60)
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
                bar.wait(60)
            if __name__ == "__main__":
                ctx = mp.get_context("fork")
                with ctx.Manager() as m:
                    cond = m.Condition()
                    ev = m.Event()
                    bar = m.Barrier(2)
                    p = ctx.Process(target=child, args=(cond, ev, bar))
                    with cond:
                        p.start()
                        print(cond.wait(60))
                    print(ev.wait(60), bar.wait(60) in (0, 1))
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
