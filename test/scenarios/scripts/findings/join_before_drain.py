"""The multiprocessing docs' "Joining processes that use queues": the child
put a big item on a queue and cannot exit until it is flushed into the
pipe; the parent joins the child before getting the item.

deadlock: join first (with a timeout, so the run ends), then get
drained:  get first, then join (the fix the docs give)
"""
import sys
from multiprocessing import Process, Queue


def f(q):
    q.put("X" * 1000000)


if __name__ == "__main__":
    queue = Queue()
    p = Process(target=f, args=(queue,))
    p.start()
    if sys.argv[1] == "deadlock":
        p.join(timeout=4)         # this deadlocks (until the timeout; long enough on a loaded machine)
        obj = queue.get()
    else:
        obj = queue.get()
    p.join()
    print(len(obj))
