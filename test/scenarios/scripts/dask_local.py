"""dask.delayed graph of 6 tasks (4 inc, 1 add, 1 total) computed with the
local scheduler named on the command line (threads, processes or
synchronous)."""
import sys
import time

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
    a, b, c, d = (inc(i) for i in range(4))
    result = total([add(a, b), c, d])
    print(dask.compute(result, scheduler=sys.argv[1], num_workers=2)[0])
