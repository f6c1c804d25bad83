"""dask.distributed: a LocalCluster of 2 worker processes (1 thread each),
a Client, and a dask.delayed graph of 6 tasks (4 inc, 1 add, 1 total)."""
import time

import dask
from dask.distributed import Client, LocalCluster


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
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        a, b, c, d = (inc(i) for i in range(4))
        result = total([add(a, b), c, d])
        print(client.compute(result).result())
