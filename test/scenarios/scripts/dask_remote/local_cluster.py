"""The same work as client.py on a LocalCluster the script starts itself: its
workers are processes of the traced run, traced there (no worker plugin)."""
import sys
import time

import dask
from dask.distributed import Client, LocalCluster


def inc(x):
    time.sleep(0.02)
    return x + 1


def add(a, b):
    return a + b


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            futures = client.map(inc, range(n))
            total = client.submit(sum, futures)
            a = dask.delayed(inc, pure=True)(100, dask_key_name="d-inc-100")
            b = dask.delayed(inc, pure=True)(200, dask_key_name="d-inc-200")
            c = dask.delayed(add)(a, b, dask_key_name="d-add")
            print("total", total.result())
            print("delayed", c.compute())
            keys = [f.key for f in futures] + [total.key, "d-inc-100", "d-inc-200", "d-add"]
            print("keys", " ".join(keys))


if __name__ == "__main__":
    main()
