"""Load: 32 processes × 8 threads hammering locks and queues; prints what it did."""
import multiprocessing as mp
import queue
import sys
import threading

PROCS, THREADS, ITERS = 32, 8, 50


def thread_work(lock, q, out):
    for i in range(ITERS):
        with lock:
            pass
        q.put(i)
        q.get()
    out.append(1)


def proc_work(shared_lock, mq):
    lock = threading.Lock()
    q = queue.Queue()
    done = []
    ts = [threading.Thread(target=thread_work, args=(lock, q, done)) for _ in range(THREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with shared_lock:
        mq.put(len(done))


if __name__ == "__main__":
    mp.set_start_method(sys.argv[1] if len(sys.argv) > 1 else "fork", force=True)
    shared_lock = mp.Lock()
    mq = mp.Queue()
    ps = [mp.Process(target=proc_work, args=(shared_lock, mq)) for _ in range(PROCS)]
    for p in ps:
        p.start()
    total = sum(mq.get(timeout=120) for _ in range(PROCS))
    for p in ps:
        p.join()
    print(total, PROCS * THREADS * ITERS)
