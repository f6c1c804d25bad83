"""dask.distributed futures waited for the ways users wait for them.

as_completed:  for f in as_completed(futures): each next() waits for any
               unfinished future (one slow one of 4 makes the first next wait)
with_results:  as_completed(futures, with_results=True), a task that raises,
               raise_errors=True: the loop sees the task's exception
nested:        Client.gather of a list holding a dict and a list of futures
"""
import sys
import time

from dask.distributed import Client, LocalCluster, as_completed


def slow(x):
    time.sleep(0.3)
    return x * 10


def fail(x):
    time.sleep(0.8)
    raise ValueError("no %d" % x)


if __name__ == "__main__":
    mode = sys.argv[1]
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        if mode == "as_completed":
            futures = client.map(slow, range(4))
            print(sorted(f.result() for f in as_completed(futures)))
        elif mode == "with_results":
            futures = [client.submit(slow, 1), client.submit(fail, 2)]
            try:
                for future, value in as_completed(futures, with_results=True):
                    print("got", value)
            except ValueError as e:
                print("caught", e)
        else:
            a, b, c = client.map(slow, range(3))
            print(client.gather([{"first": a, "second": b}, [c]]))
