"""dask.distributed: 3 rounds of 1000 tiny independent tasks on a LocalCluster
of 2 single-threaded worker processes; every result gathered."""
from dask.distributed import Client, LocalCluster


def inc(x):
    return x + 1


if __name__ == "__main__":
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        total = 0
        for round in range(3):
            futures = client.map(inc, range(round * 1000, (round + 1) * 1000))
            total += sum(client.gather(futures))
        print(total)
