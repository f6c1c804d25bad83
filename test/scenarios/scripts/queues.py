"""queue.* between threads and multiprocessing queues / pipes between processes."""
import multiprocessing as mp
import queue
import threading
from _method import set_start_method


def thread_queues():
    for cls in (queue.Queue, queue.LifoQueue, queue.PriorityQueue, queue.SimpleQueue):
        q = cls()
        got = []
        t = threading.Thread(target=lambda: [got.append(q.get()) for _ in range(3)], name="getter-" + cls.__name__)
        t.start()
        for i in (3, 1, 2):
            q.put(i)
        t.join()
        print(cls.__name__, got, flush=True)


def producer(q, base):
    for i in range(3):
        q.put((base, i))


def echo(conn):
    while True:
        msg = conn.recv()
        if msg is None:
            break
        conn.send(("echo", msg))
    conn.close()


if __name__ == "__main__":
    set_start_method()
    thread_queues()
    q = mp.Queue()
    ps = [mp.Process(target=producer, args=(q, b), name="producer-%d" % b) for b in range(2)]
    [p.start() for p in ps]
    got = sorted(q.get(timeout=30) for _ in range(6))
    [p.join() for p in ps]
    print("mp.Queue", got, flush=True)
    jq = mp.JoinableQueue()
    jq.put("job")
    print("joinable", jq.get(timeout=30), flush=True)
    jq.task_done()
    jq.join()
    sq = mp.SimpleQueue()
    sq.put("simple")
    print("simple", sq.get(), flush=True)
    parent, child = mp.Pipe()
    p = mp.Process(target=echo, args=(child,), name="echo")
    p.start()
    for m in ("a", "b"):
        parent.send(m)
        print("pipe", parent.recv(), flush=True)
    parent.send(None)
    p.join()
