"""Four threads share one lock.

convoy: each sleeps (slow work) while holding the lock: they queue behind it
fine:   the slow work is outside the lock; the lock guards only the counter
"""
import sys
import threading
import time

lock = threading.Lock()
mode = sys.argv[1]
total = [0]


def worker():
    for _ in range(10):
        if mode == "convoy":
            with lock:
                time.sleep(0.05)
                total[0] += 1
        else:
            time.sleep(0.05)
            with lock:
                total[0] += 1


threads = [threading.Thread(target=worker, name="worker-%d" % i) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("total", total[0])
