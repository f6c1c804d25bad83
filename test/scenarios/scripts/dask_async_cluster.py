"""dask.distributed from asyncio: the program's own coroutine (main) runs a
LocalCluster of 2 worker processes and an asynchronous Client on its loop,
so the program's task and dask's many tasks share MainThread's loop."""
import asyncio

from dask.distributed import Client, LocalCluster


def inc(x):
    return x + 1


async def main():
    async with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                            dashboard_address=None, asynchronous=True) as cluster:
        async with Client(cluster, asynchronous=True) as client:
            results = await client.gather(client.map(inc, range(4)))
            print(sum(results))


if __name__ == "__main__":
    asyncio.run(main())
