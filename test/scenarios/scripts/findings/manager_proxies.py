"""Values kept by a Manager, reached through proxies by two processes.

dict-lock: each process does `totals['n'] += 1` under a Manager().Lock()
dict-race: the same with no lock (lost updates)
ns-queue:  the producer writes ns.result, then puts "ready" on a Manager().Queue();
           the consumer gets it, then reads and updates ns.result (ordered)
ns-gate:   the same ordered by a Gate of the program's own, registered on a manager:
           its threading.Event lives in the manager's server (only proxy calls reach it)
ns-none:   the same, but the consumer only sleeps instead of waiting
"""
import sys
import threading
import time
from multiprocessing import Process
from multiprocessing.managers import SyncManager

N = 100


class Gate:
    """Opened once; wait() returns when it is open."""

    def __init__(self):
        self.opened = threading.Event()

    def open(self):
        self.opened.set()

    def wait(self):
        self.opened.wait()


class Manager(SyncManager):
    pass


Manager.register('Gate', Gate)


def add(totals, lock, n):
    for _ in range(n):
        if lock is None:
            totals['n'] += 1
        else:
            with lock:
                totals['n'] += 1


def produce(ns, ready):
    ns.result = 41
    if ready is not None:
        if hasattr(ready, 'open'):
            ready.open()
        else:
            ready.put('ready')


def consume(ns, ready):
    if ready is not None:
        if hasattr(ready, 'open'):
            ready.wait()
        else:
            ready.get()
    else:
        time.sleep(0.5)
    ns.result = ns.result + 1


if __name__ == '__main__':
    mode = sys.argv[1]
    with Manager() as manager:  # a SyncManager: Manager() with a Gate registered
        if mode.startswith('dict'):
            totals = manager.dict(n=0)
            lock = manager.Lock() if mode == 'dict-lock' else None
            workers = [Process(target=add, args=(totals, lock, N)) for _ in range(2)]
        else:
            ns = manager.Namespace()
            ready = manager.Queue() if mode == 'ns-queue' else manager.Gate() if mode == 'ns-gate' else None
            # The consumer starts first, so that only the queue can order it after the producer.
            workers = [Process(target=consume, args=(ns, ready)), Process(target=produce, args=(ns, ready))]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        print('total', totals['n'] if mode.startswith('dict') else ns.result)
