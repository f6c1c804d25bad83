"""Dining philosophers: five threads, five forks (locks).

deadlock: each takes its left fork, then (once all five hold one) reaches for
          the right one with a timeout: a wait-for cycle of five that lasts
          until the timeouts dissolve it.
ordered:  each takes the lower-numbered of its two forks first (one global
          order): no cycle can form.
"""
import sys
import threading
import time

N = 5
forks = [threading.Lock() for _ in range(N)]
mode = sys.argv[1]
all_hold_left = threading.Barrier(N)
start = threading.Barrier(N)


def philosopher(i):
    left, right = forks[i], forks[(i + 1) % N]
    if mode == "deadlock":
        with left:
            all_hold_left.wait()
            if right.acquire(timeout=1.0):
                right.release()
        return
    first, second = (left, right) if i < (i + 1) % N else (right, left)
    start.wait()
    for _ in range(10):
        with first:
            with second:
                time.sleep(0.002)     # eat
        time.sleep(0.01)              # think


threads = [threading.Thread(target=philosopher, args=(i,), name="philosopher-%d" % i) for i in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("dinner over")
