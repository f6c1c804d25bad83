"""threading primitives, each contended at least once."""
import threading
import time

lock = threading.Lock()
rlock = threading.RLock()
sem = threading.Semaphore(1)
bsem = threading.BoundedSemaphore(2)
cond = threading.Condition()
ready = threading.Event()
barrier = threading.Barrier(3)
items = []


def holder():
    with lock:
        ready.set()
        time.sleep(0.5)     # long enough for the waiter to be blocked on a loaded machine


def waiter():
    ready.wait()
    with lock:
        pass


def recursive():
    with rlock:
        with rlock:
            time.sleep(0.01)


def consumer():
    with cond:
        while not items:
            cond.wait(timeout=5)
        items.pop()


def at_barrier(i):
    barrier.wait()


h = threading.Thread(target=holder, name="holder"); h.start()
w = threading.Thread(target=waiter, name="waiter"); w.start()
h.join(); w.join()
print("timeout acquire:", lock.acquire(timeout=0.01), flush=True)
lock.release()
lock.acquire()
print("nonblocking while held:", lock.acquire(blocking=False), flush=True)
print("timeout while held:", lock.acquire(timeout=0.02), flush=True)
lock.release()
ts = [threading.Thread(target=recursive, name="rec-%d" % i) for i in range(2)]
[t.start() for t in ts]; [t.join() for t in ts]
with sem:
    pass
with bsem:
    pass
c = threading.Thread(target=consumer, name="consumer"); c.start()
time.sleep(0.02)
with cond:
    items.append(1)
    cond.notify()
c.join()
bs = [threading.Thread(target=at_barrier, args=(i,), name="barrier-%d" % i) for i in range(3)]
[t.start() for t in bs]; [t.join() for t in bs]
print("done")
