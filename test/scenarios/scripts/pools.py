"""Every Pool entry point, with and without `with`, chunked and not."""
import multiprocessing as mp
from _method import set_start_method


def square(x):
    return x * x


def add(a, b):
    return a + b


if __name__ == "__main__":
    set_start_method()
    with mp.Pool(4) as pool:
        print("map", pool.map(square, range(6)))
        print("map chunked", pool.map(square, range(10), chunksize=3))
        print("starmap", pool.starmap(add, [(1, 2), (3, 4)]))
        print("imap", list(pool.imap(square, range(4))))
        print("imap_unordered", sorted(pool.imap_unordered(square, range(4))))
        r = pool.apply_async(square, (7,))
        print("apply_async", r.get(timeout=30))
        m = pool.map_async(square, range(3))
        m.wait(30)
        print("map_async", m.get())
        print("apply", pool.apply(add, (5, 6)))
    pool = mp.Pool(2)
    print("no with", pool.map(square, [1, 2, 3]))
    pool.close()
    pool.join()
