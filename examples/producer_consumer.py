"""A producer process feeds a queue; two consumer processes share the work.

The producer makes an item every 20 ms (the sleep stands in for real work) and
puts it on the queue; whichever consumer is free gets it. None tells a consumer
to stop. Each item is an arrow on the timeline, from its put to its get."""
import time
from multiprocessing import Process, Queue, Lock


def producer(q, n):
    for i in range(n):
        time.sleep(0.02)
        q.put(i)
    q.put(None)
    q.put(None)


def consumer(q, lock, name):
    while True:
        item = q.get()
        if item is None:
            break
        with lock:
            print(f"{name} got {item}", flush=True)


if __name__ == "__main__":
    q = Queue()
    lock = Lock()
    procs = [Process(target=producer, args=(q, 8))]
    procs += [Process(target=consumer, args=(q, lock, f"consumer-{i}")) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
