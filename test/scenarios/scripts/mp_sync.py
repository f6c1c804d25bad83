"""multiprocessing locks shared with children: Lock, RLock, Semaphore, Event, Condition, Value.get_lock."""
import multiprocessing as mp
import time
from _method import set_start_method


def hold(lock, started):
    with lock:
        started.set()
        time.sleep(0.1)


def bump(value, n):
    for _ in range(n):
        with value.get_lock():
            value.value += 1


def wait_cond(cond, flag, waiting):
    with cond:
        waiting.set()  # the parent can only take cond once this wait() released it
        while not flag.value:
            cond.wait(5)


if __name__ == "__main__":
    set_start_method()
    lock = mp.Lock()
    started = mp.Event()
    p = mp.Process(target=hold, args=(lock, started), name="holder")
    p.start()
    started.wait(30)
    with lock:  # waits for the child to let go
        print("parent got the lock", flush=True)
    p.join()
    rlock = mp.RLock()
    with rlock:
        with rlock:
            pass
    sem = mp.Semaphore(2)
    with sem:
        pass
    value = mp.Value("i", 0)
    ps = [mp.Process(target=bump, args=(value, 50), name="bump-%d" % i) for i in range(2)]
    [q.start() for q in ps]; [q.join() for q in ps]
    print("value", value.value, flush=True)
    cond = mp.Condition()
    flag = mp.Value("b", 0)
    waiting = mp.Event()
    c = mp.Process(target=wait_cond, args=(cond, flag, waiting), name="cond-waiter")
    c.start()
    waiting.wait(30)
    with cond:
        flag.value = 1
        cond.notify_all()
    c.join()
    print("done", flush=True)
