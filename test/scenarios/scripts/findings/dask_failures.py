"""dask.distributed tasks that raise, their exception asked for or not.

result: Future.result() inside try/except: the program handles the failure
gather: Client.gather() inside try/except: the program handles it
unasked: the failing task is only waited for (distributed.wait), its
         exception never asked for: lost silently
"""
import sys

from dask.distributed import Client, LocalCluster, wait


def work(x):
    if x == 3:
        raise ValueError("bad input %d" % x)
    return x * x


if __name__ == "__main__":
    mode = sys.argv[1]
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        futures = client.map(work, range(5))
        if mode == "result":
            for f in futures:
                try:
                    f.result()
                except ValueError:
                    print("handled")
        elif mode == "gather":
            try:
                client.gather(futures)
            except ValueError:
                print("handled")
        else:
            wait(futures)
    print("done")
