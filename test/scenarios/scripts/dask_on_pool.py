"""dask's local schedulers on a multiprocessing Pool the program made:
dask.config.set(pool=Pool(2)) with scheduler="processes" (argv "pool"), or
a ThreadPool(2) with scheduler="threads" (argv "threadpool"); a dask.delayed
graph of 6 tasks (4 inc, 1 add, 1 total)."""
import sys
import time
from multiprocessing.pool import Pool, ThreadPool

import dask


@dask.delayed
def inc(x):
    time.sleep(0.01)
    return x + 1


@dask.delayed
def add(x, y):
    return x + y


@dask.delayed
def total(xs):
    return sum(xs)


if __name__ == "__main__":
    kind = sys.argv[1]
    a, b, c, d = (inc(i) for i in range(4))
    result = total([add(a, b), c, d])
    with (Pool(2) if kind == "pool" else ThreadPool(2)) as pool:
        with dask.config.set(pool=pool, scheduler="processes" if kind == "pool" else "threads"):
            print(dask.compute(result)[0])
