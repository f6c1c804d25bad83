"""Three threads, three locks, taken in a cycle of orders (a then b, b then
c, c then a), one thread after the other so the run never hangs.

cycle:   the cycle above: a lock-order inversion of length three
gated:   each thread holds the same gate lock around its two acquisitions
ordered: every thread takes them in one order (a, b, c)
single:  one thread takes all three pairs in the cycle's orders
"""
import sys
import threading

a = threading.Lock()
b = threading.Lock()
c = threading.Lock()
gate = threading.Lock()
mode = sys.argv[1]
turns = [threading.Event() for _ in range(3)]


def take(first, second):
    if mode == "gated":
        with gate:
            with first:
                with second:
                    pass
    else:
        with first:
            with second:
                pass


def worker(i, pairs):
    turns[i].wait()
    for first, second in pairs:
        take(first, second)
    if i + 1 < len(turns):
        turns[i + 1].set()


if mode == "ordered":
    plans = [[(a, b)], [(b, c)], [(a, c)]]
else:
    plans = [[(a, b)], [(b, c)], [(c, a)]]
if mode == "single":
    threads = [threading.Thread(target=worker, args=(0, plans[0] + plans[1] + plans[2]), name="only")]
    turns = turns[:1]
else:
    threads = [threading.Thread(target=worker, args=(i, plans[i]), name="worker-%d" % i) for i in range(3)]
for t in threads:
    t.start()
turns[0].set()
for t in threads:
    t.join()
print("done")
