"""The global counter: threads add to one module global.

race:   `counter += 1` with no lock (a read, then a write: lost updates)
locked: the same under one threading.Lock
"""
import sys
import threading

counter = 0
lock = threading.Lock()
mode = sys.argv[1]


def add(n):
    global counter
    for _ in range(n):
        if mode == "locked":
            with lock:
                counter += 1
        else:
            counter += 1


threads = [threading.Thread(target=add, args=(20000,), name="adder-%d" % i) for i in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("counter", counter)
