"""A dask.distributed client of a cluster started elsewhere (dask-scheduler and
dask-worker in other terminals): map, submit and a delayed graph, then it
closes at once.  Prints the keys it expects to have run on the workers.
argv: scheduler address [workers to wait for] [tasks per map]"""
import sys
import time

import dask
from dask.distributed import Client


def inc(x):
    time.sleep(0.02)
    return x + 1


def add(a, b):
    return a + b


def fails(x):
    raise ValueError("task %d failed" % x)


def main():
    address = sys.argv[1]
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    client = Client(address)
    client.wait_for_workers(workers)
    futures = client.map(inc, range(n))
    total = client.submit(sum, futures)
    bad = client.submit(fails, 7, key="fails-7")
    a = dask.delayed(inc, pure=True)(100, dask_key_name="d-inc-100")
    b = dask.delayed(inc, pure=True)(200, dask_key_name="d-inc-200")
    c = dask.delayed(add)(a, b, dask_key_name="d-add")
    print("total", total.result())
    print("delayed", c.compute())
    try:
        bad.result()
    except ValueError as e:
        print("raised", e)
    keys = [f.key for f in futures] + [total.key, bad.key, "d-inc-100", "d-inc-200", "d-add"]
    print("keys", " ".join(keys))
    client.close()


if __name__ == "__main__":
    main()
