"""A Manager() in one run: a child squares numbers from a managed queue onto
another and appends to a managed list; the parent feeds it and reads back."""
import multiprocessing as mp
import sys


def square(tasks, results, seen):
    while True:
        n = tasks.get()
        if n is None:
            break
        seen.append(n)
        results.put(n * n)


if __name__ == '__main__':
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else None)
    with ctx.Manager() as m:
        tasks = m.Queue()
        results = m.Queue()
        seen = m.list()
        p = ctx.Process(target=square, args=(tasks, results, seen))
        p.start()
        for i in range(5):
            tasks.put(i)
        total = sum(results.get() for _ in range(5))
        tasks.put(None)
        p.join()
        print('total', total, 'seen', len(seen))
