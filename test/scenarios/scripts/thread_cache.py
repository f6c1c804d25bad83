"""Check-then-act on a shared dict (`if k not in d: d[k] = ...`) and a
shared list written by index, from two threads."""
import threading

cache = {}
hits = [0, 0]


def lookup(worker):
    for key in ("alpha", "beta", 7):
        if key not in cache:
            cache[key] = worker
        hits[worker] += 1


threads = [threading.Thread(target=lookup, args=(i,)) for i in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(cache, key=str), hits)
