"""multiprocessing Pipe / Connection: every send paired with its receive, and
the bytes on the wire unchanged."""
import sys
import unittest

from test.runtime import tracefile

sys.path.insert(0, tracefile.RUNTIME)
from concurrency_trace import pipes  # noqa: E402


def ok(test, proc):
    test.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace"))


DUPLEX = """
import multiprocessing as mp, sys

def child(conn):
    conn.send(conn.recv() + 1)
    conn.send_bytes(b"abcdef", 1, 3)
    conn.send_bytes(bytes(100000))

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    parent, kid = ctx.Pipe()
    p = ctx.Process(target=child, args=(kid,))
    p.start()
    parent.send(41)
    print(parent.recv())
    buf = bytearray(10)
    print(parent.recv_bytes_into(buf, 2), bytes(buf))
    print(len(parent.recv_bytes()))
    p.join()
"""

ONE_WAY = """
import multiprocessing as mp
r, w = mp.Pipe(duplex=False)
w.send({"k": [1, 2]})
w.send_bytes(b"raw")
print(r.poll(1), r.recv(), r.recv_bytes())
w.close()
try:
    r.recv()
except EOFError:
    print("eof")
"""

UNTRACED_READER = r"""
import multiprocessing as mp, os, subprocess, sys, time

reader = '''
import sys
from multiprocessing.connection import Connection
pipe, queue_pipe = (Connection(int(fd)) for fd in sys.argv[1:])
print(repr(pipe.recv()), repr(pipe.recv_bytes()), repr(queue_pipe.recv()))
'''
r, w = mp.Pipe(duplex=False)
q = mp.Queue()
env = {k: v for k, v in os.environ.items() if not k.startswith("CONCURRENCY_TRACE")}
child = subprocess.Popen([sys.executable, "-c", reader, str(r.fileno()), str(q._reader.fileno())],
                         pass_fds=(r.fileno(), q._reader.fileno()), env=env)
w.send({"answer": 42, "list": [1.5, "x"]})
w.send_bytes(b"\x00\x01raw bytes")
q.put(("from", "a queue"))
sys.exit(child.wait())
"""

LISTENER = """
import threading
from multiprocessing.connection import Listener, Client
with Listener() as listener:
    def serve():
        with listener.accept() as conn:
            conn.send(conn.recv() * 2)
    t = threading.Thread(target=serve)
    t.start()
    with Client(listener.address) as client:
        client.send(21)
        print(client.recv())
    t.join()
"""

INTERNAL = """
import multiprocessing as mp
if __name__ == "__main__":
    pool = mp.Pool(2)
    print(sum(pool.map(abs, range(-5, 5))))
    pool.close()     # not terminate(): a worker killed while it opens its
    pool.join()      # trace file leaves a file without a header
"""


class Pipes(unittest.TestCase):
    def check_duplex(self, method):
        proc, trace = tracefile.run(DUPLEX, method)
        ok(self, proc)
        self.assertEqual(proc.stdout, b"42\n3 b'\\x00\\x00bcd\\x00\\x00\\x00\\x00\\x00'\n100000\n")
        [obj] = [o for o in trace.of("OBJECT") if trace.blob(o) == "Pipe"]
        self.assertEqual(trace.blob(obj, "b"), "parent, kid")
        [opened] = [o for o in trace.of("PIPE_OPEN") if o.pid == obj.pid]
        self.assertEqual(opened.obj, obj.obj)
        ends = {opened.a, opened.b}
        self.assertEqual(len(ends), 2)          # a socketpair: one inode per end
        for seen in trace.of("PIPE_OPEN"):      # the child names the same two ends
            self.assertEqual({seen.a, seen.b}, ends)
        sends = trace.of("PIPE_SEND")
        recvs = trace.of("PIPE_RECV")
        self.assertEqual(len(sends), 4)
        self.assertEqual(len(recvs), 4)
        for s in sends:
            [r] = [r for r in recvs if r.a == s.a]
            self.assertEqual({s.obj, r.obj}, ends)     # sent on one end, read on the other
            self.assertNotEqual(s.pid, r.pid)
            self.assertEqual(r.b, 0)
            self.assertLess(s.ts, r.end)
        keys = {s.a for s in sends}
        self.assertIn(pipes.content_key(b"bcd"), keys)
        self.assertIn(pipes.content_key(bytes(100000)), keys)
        parent_sites = {trace.site(r)[1] for r in recvs if r.pid == obj.pid}
        self.assertEqual(parent_sites, {15, 17, 18})

    def test_duplex_pipe_fork(self):
        self.check_duplex("fork")

    def test_duplex_pipe_spawn(self):
        self.check_duplex("spawn")

    def test_duplex_pipe_forkserver(self):
        self.check_duplex("forkserver")

    def test_one_way_pipe_has_one_channel_and_eof_fails_the_receive(self):
        proc, trace = tracefile.run(ONE_WAY)
        ok(self, proc)
        self.assertEqual(proc.stdout, b"True {'k': [1, 2]} b'raw'\neof\n")
        [opened] = trace.of("PIPE_OPEN")
        self.assertEqual(opened.a, opened.b)
        sends = trace.of("PIPE_SEND")
        recvs = trace.of("PIPE_RECV")
        self.assertEqual([s.a for s in sends], [r.a for r in recvs[:2]])
        self.assertTrue(all(r.obj == opened.a for r in sends + recvs))
        self.assertEqual(sends[1].a, pipes.content_key(b"raw"))
        self.assertEqual([r.b for r in recvs], [0, 0, 1])

    def test_a_reader_that_is_not_traced_reads_the_same_bytes(self):
        proc, trace = tracefile.run(UNTRACED_READER)
        ok(self, proc)
        self.assertEqual(proc.stdout,
                         b"{'answer': 42, 'list': [1.5, 'x']} b'\\x00\\x01raw bytes' ('from', 'a queue')\n")
        # the reader wrote no trace (3.14+: mp.Queue's lock starts the resource tracker, a helper)
        helpers = {r.pid for r in trace.of("PROCESS_START") if "resource_tracker" in trace.blob(r, "b")}
        self.assertEqual(len(set(trace.pids()) - helpers), 1)
        self.assertEqual(len(trace.of("PIPE_SEND")), 3)  # both sends and the queue's feeder
        self.assertEqual(trace.of("PIPE_RECV"), [])

    @unittest.skipUnless(sys.platform.startswith("linux"), "peer lookup is Linux-only")
    def test_listener_and_client_ends_are_linked_at_first_use(self):
        proc, trace = tracefile.run(LISTENER)
        ok(self, proc)
        self.assertEqual(proc.stdout, b"42\n")
        # Each end asks for its peer; a client asking before accept() finds
        # none yet, so one link (from either side) may be all there is.
        links = trace.of("PIPE_OPEN")
        self.assertIn(len(links), (1, 2))
        self.assertTrue(all({l.a, l.b} == {links[0].a, links[0].b} for l in links))
        peer = {links[0].a: links[0].b, links[0].b: links[0].a}
        sends, recvs = trace.of("PIPE_SEND"), trace.of("PIPE_RECV")
        self.assertEqual((len(sends), len(recvs)), (2, 2))
        for send in sends:
            [recv] = [r for r in recvs if r.a == send.a]
            self.assertEqual(peer[send.obj], recv.obj)

    def test_the_standard_library_own_pipe_traffic_is_silent(self):
        proc, trace = tracefile.run(INTERNAL)
        ok(self, proc)
        self.assertEqual(proc.stdout, b"25\n")
        self.assertEqual(trace.of("PIPE_SEND", "PIPE_RECV", "QUEUE_PUT", "QUEUE_GET", "PIPE_OPEN"), [])


if __name__ == "__main__":
    unittest.main()
