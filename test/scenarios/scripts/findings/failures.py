"""An exception ends a thread, a process, or a pool task; or nothing fails.

thread / process / executor / pool: the failure (executor, pool: the failed
task's result is never asked for)
task: pool tasks fail, get() hands the exception to the caller, which
      handles it: no finding
none: the same work, nothing raises
"""
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool, Process


def work(x):
    if x == 3 and sys.argv[1] != "none":
        raise ValueError("bad input %d" % x)
    return x * x


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode in ("thread", "none"):
        t = threading.Thread(target=work, args=(3,), name="worker")
        t.start()
        t.join()
    if mode in ("process", "none"):
        p = Process(target=work, args=(3,))
        p.start()
        p.join()
    if mode in ("task", "none"):
        with Pool(2) as pool:
            results = [pool.apply_async(work, (x,)) for x in range(5)]
            for r in results:
                try:
                    r.get()
                except ValueError:
                    pass
    if mode == "executor":
        with ThreadPoolExecutor(2) as ex:
            futures = [ex.submit(work, x) for x in range(5)]   # results never asked for
    if mode == "pool":
        with Pool(2) as pool:
            results = [pool.apply_async(work, (x,)) for x in range(5)]   # results never asked for
            pool.close()
            pool.join()
    print("done")
