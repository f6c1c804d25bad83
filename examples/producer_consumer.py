"""A producer process feeds a queue; two consumer processes share the work."""
from multiprocessing import Process, Queue, Lock


def producer(q, n):
    for i in range(n):
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
