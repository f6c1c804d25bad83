"""concurrent.futures: thread and process pools, submit / map / as_completed."""
import concurrent.futures as cf
import multiprocessing as mp
from _method import set_start_method


def cube(x):
    return x ** 3


if __name__ == "__main__":
    method = set_start_method()
    with cf.ThreadPoolExecutor(max_workers=3) as ex:
        futures = [ex.submit(cube, i) for i in range(5)]
        print("threads", sorted(f.result() for f in cf.as_completed(futures)))
        print("threads map", list(ex.map(cube, range(3))))
    ctx = mp.get_context(method) if method else None
    with cf.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as ex:
        futures = [ex.submit(cube, i) for i in range(4)]
        print("processes", sorted(f.result() for f in cf.as_completed(futures)))
        print("processes map", list(ex.map(cube, range(6), chunksize=2)))
