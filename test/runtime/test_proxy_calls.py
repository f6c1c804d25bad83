"""Manager proxy calls (PROXY_CALL in the caller, PROXY_SERVE in the
server thread, one call key on both sides) and TCP connections (CONN_OPEN)."""
import os
import pickle
import subprocess
import sys
import textwrap
import unittest

from test.runtime import pythons
from test.runtime.tracefile import run

from concurrency_trace import proxy_calls  # noqa: E402  (tracefile put the runtime on sys.path)


MANAGER_QUEUE = """
    import multiprocessing as mp, sys
    def child(q, r):
        while True:
            n = q.get()
            if n is None:
                break
            r.put(n * n)
    if __name__ == "__main__":
        ctx = mp.get_context(sys.argv[1])
        with ctx.Manager() as m:
            q = m.Queue()
            r = m.Queue()
            p = ctx.Process(target=child, args=(q, r)); p.start()
            for i in range(3):
                q.put(i)
            print(sum(r.get() for _ in range(3)))
            q.put(None)
            p.join()
    """

TCP_SERVER_AND_CLIENT = """
    import queue, sys, threading
    from multiprocessing.managers import BaseManager
    tasks = queue.Queue()
    class QM(BaseManager):
        pass
    QM.register("get_tasks", callable=lambda: tasks)
    class Client(BaseManager):
        pass
    Client.register("get_tasks")
    if __name__ == "__main__":
        server = QM(address=("127.0.0.1", 0), authkey=b"k").get_server()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        c = Client(address=server.address, authkey=b"k")
        c.connect()
        t = c.get_tasks()
        t.put("x")
        print(t.get(), t.qsize())
        try:
            t.get_nowait()
        except queue.Empty:
            print("empty")
    """


def _dedent(code):
    return textwrap.dedent(code)


def calls(trace):
    return trace.of("PROXY_CALL")


def serves(trace):
    return trace.of("PROXY_SERVE")


class ProxyCalls(unittest.TestCase):
    def check_pairs(self, trace, expect_methods):
        cs = calls(trace)
        ss = serves(trace)
        self.assertEqual(sorted(trace.blob(c) for c in cs), sorted(expect_methods))
        # Every call has a key, and the server served the same keys, as often.
        keys = sorted(c.b for c in cs)
        self.assertTrue(all(keys))
        self.assertEqual(keys, sorted(s.b for s in ss if s.b in set(keys)))
        by_key = {}
        for s in ss:
            by_key.setdefault(s.b, []).append(s)
        for c in cs:
            s = by_key[c.b].pop(0)
            self.assertEqual(trace.blob(s), trace.blob(c))
            # The handler ran inside the call (one clock on one machine).
            self.assertLessEqual(c.ts, s.ts)
            self.assertLessEqual(s.end, c.end)
            self.assertNotEqual((s.pid, s.ident), (c.pid, c.ident))
        return cs, ss

    def test_manager_queue_calls_in_parent_and_child_pair_with_the_manager_process_handlers(self):
        for (version, python), method in [(p, "fork") for p in pythons.traced_pythons()] + [(pythons.traced_pythons()[0], "spawn")]:
            with self.subTest(python=version, method=method):
                proc, trace = run(_dedent(MANAGER_QUEUE), method, python=python)
                self.assertEqual(proc.stdout.split(), [b"5"], proc.stderr)
                cs, ss = self.check_pairs(trace, ["put"] * 4 + ["get"] * 4 + ["put"] * 3 + ["get"] * 3)
                # Callers in the parent and the child, handlers in the manager's process.
                self.assertEqual(len({c.pid for c in cs}), 2)
                self.assertTrue({s.pid for s in ss}.isdisjoint({c.pid for c in cs}))
                # A call names the queue as the queue's own records do.
                queue_ids = {r.obj for r in trace.of("QUEUE_PUT", "QUEUE_GET")}
                self.assertEqual({c.obj for c in cs}, queue_ids)
                # Sites: the user's lines, not the generated proxy methods.
                lines = sorted({trace.site(c)[1] for c in cs})
                self.assertEqual(lines, [5, 8, 16, 17, 18])

    def test_tcp_manager_calls_name_both_ends_of_the_connection(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                self.check_tcp_calls(python)

    def check_tcp_calls(self, python):
        proc, trace = run(_dedent(TCP_SERVER_AND_CLIENT), python=python)
        self.assertEqual(proc.stdout.split(), [b"x", b"0", b"empty"], proc.stderr)
        self.check_pairs(trace, ["put", "get", "qsize", "get_nowait"])
        opens = trace.of("CONN_OPEN")
        # Client end and server end: each names the other's channel, the addresses mirrored.
        ends = {(o.obj, o.a) for o in opens}
        self.assertTrue(any((b, a) in ends for a, b in ends), ends)
        texts = {trace.blob(o, "b") for o in opens}
        for t in texts:
            this, peer = t.split(" > ")
            self.assertIn("%s > %s" % (peer, this), texts)
            self.assertTrue(this.startswith("127.0.0.1:"))

    def test_a_remote_exception_is_the_same_as_untraced(self):
        code = _dedent("""
            import queue
            from multiprocessing.managers import SyncManager
            if __name__ == "__main__":
                with SyncManager() as m:
                    d = m.dict()
                    d["a"] = 1
                    print(d["a"])
                    d["missing"]
            """)
        proc, trace = run(code)
        plain = subprocess.run([sys.executable, trace.script], capture_output=True, cwd=os.path.dirname(trace.script))
        self.assertEqual(proc.returncode, plain.returncode)
        self.assertEqual(proc.stdout, plain.stdout)
        self.assertEqual(proc.stderr, plain.stderr)
        self.assertIn("__getitem__", [trace.blob(c) for c in calls(trace)])


LISTENER_AND_CLIENT_OVER_TCP = """
    import threading
    from multiprocessing.connection import Client, Listener
    if __name__ == "__main__":
        with Listener(("127.0.0.1", 0), authkey=b"k") as listener:
            def serve():
                with listener.accept() as conn:
                    conn.send(conn.recv() * 2)
            t = threading.Thread(target=serve); t.start()
            with Client(listener.address, authkey=b"k") as c:
                c.send(21)
                print(c.recv())
            t.join()
    """


class TcpConnections(unittest.TestCase):
    def test_user_sends_and_receives_over_tcp_use_channels_both_ends_derive_from_the_addresses(self):
        proc, trace = run(_dedent(LISTENER_AND_CLIENT_OVER_TCP))
        self.assertEqual(proc.stdout.split(), [b"42"], proc.stderr)
        sends = trace.of("PIPE_SEND")
        recvs = trace.of("PIPE_RECV")
        self.assertEqual((len(sends), len(recvs)), (2, 2))
        opens = {o.obj: o.a for o in trace.of("CONN_OPEN")}
        # Each end's channel is named by a CONN_OPEN whose peer is the other end's.
        self.assertEqual(len(opens), 2)
        a, b = opens
        self.assertEqual((opens[a], opens[b]), (b, a))
        for s in sends:
            r = next(r for r in recvs if r.a == s.a)
            self.assertEqual(opens[s.obj], r.obj)
        # The same numbers from the addresses alone (what another host computes).
        from concurrency_trace import connections
        texts = [trace.blob(o, "b") for o in trace.of("CONN_OPEN")]
        for o, t in zip(trace.of("CONN_OPEN"), texts):
            this, peer = t.split(" > ")
            self.assertEqual((o.obj, o.a), (connections.stream_channel(this, peer), connections.stream_channel(peer, this)))


class RequestNames(unittest.TestCase):
    def test_ident_and_method_are_read_off_every_pickle_protocol_without_unpickling(self):
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            for ident, method in (("7f3a2b1c", "get"), ("a" * 40, "__getitem__"), ("é", "put")):
                data = pickle.dumps((ident, method, (1, 2), {"k": None}), protocol)
                self.assertEqual(proxy_calls.request_names(memoryview(data)), (ident, method), (protocol, ident))

    def test_anything_else_is_no_name(self):
        for data in (b"", b"\x80\x04", pickle.dumps((1, "get", (), {}), 4), pickle.dumps("x"), b"garbage"):
            self.assertIsNone(proxy_calls.request_names(memoryview(data)))

    def test_call_keys_agree_only_for_the_same_bytes_and_channel(self):
        k = proxy_calls.call_key(2 ** 34 + 5, 2 ** 52 + 7)
        self.assertTrue(0 < k < 2 ** 52)
        self.assertEqual(k, proxy_calls.call_key(2 ** 34 + 5, 2 ** 52 + 7))
        self.assertNotEqual(k, proxy_calls.call_key(2 ** 34 + 6, 2 ** 52 + 7))
        self.assertNotEqual(k, proxy_calls.call_key(2 ** 34 + 5, 2 ** 52 + 8))
        self.assertEqual(proxy_calls.call_key(0, 2 ** 52), 0)
        self.assertEqual(proxy_calls.call_key(5, -1), 0)


if __name__ == "__main__":
    unittest.main()
