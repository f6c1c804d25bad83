"""A shared Value written by the parent, then by a child, then read by the
parent after join(). In every mode but `none` one hand-off orders the
parent's write before the child's update:

queue / pipe / event / condition / lock / barrier: that hand-off
join: the child is started only after the write (start() orders it)
none: the child only sleeps before its update, and the parent reads before
      join(): nothing orders them, a race either way.
"""
import multiprocessing as mp
import sys
import time


def child(mode, value, q, conn, ev, cond, lock, barrier):
    if mode == "queue":
        q.get()
    elif mode == "pipe":
        conn.recv()
    elif mode == "event":
        ev.wait()
    elif mode == "condition":
        with cond:
            cond.wait_for(lambda: value.value == 1, timeout=10)
    elif mode == "lock":
        lock.acquire()
    elif mode == "barrier":
        barrier.wait()
    elif mode == "none":
        time.sleep(0.3)
    value.value = value.value + 10
    if mode == "lock":
        lock.release()


if __name__ == "__main__":
    mode = sys.argv[1]
    value = mp.Value("i", 0)
    q = mp.Queue()
    parent_end, child_end = mp.Pipe()
    ev = mp.Event()
    cond = mp.Condition()
    lock = mp.Lock()
    barrier = mp.Barrier(2)
    if mode == "lock":
        lock.acquire()
    p = mp.Process(target=child, args=(mode, value, q, child_end, ev, cond, lock, barrier))
    if mode != "join":
        p.start()
        time.sleep(0.1)       # the child is running and waiting for the hand-off
    if mode == "condition":
        with cond:
            value.value = 1
            cond.notify_all()
    else:
        value.value = 1
    if mode == "queue":
        q.put("go")
    elif mode == "pipe":
        parent_end.send("go")
    elif mode == "event":
        ev.set()
    elif mode == "lock":
        lock.release()
    elif mode == "barrier":
        barrier.wait()
    elif mode == "join":
        p.start()
    if mode == "none":
        time.sleep(0.6)
        print("value", value.value)
        p.join()
    else:
        p.join()
        print("value", value.value)
