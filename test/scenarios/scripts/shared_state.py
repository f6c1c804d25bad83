"""Value / Array / Manager proxies, read and written by children (a racy counter on purpose)."""
import multiprocessing as mp
from _method import set_start_method


def racy(counter, n):
    for _ in range(n):
        counter.value += 1


def fill(arr, ns, lst, d):
    arr[0] = 42
    ns.status = "filled"
    lst.append(1)
    d["k"] = "v"


if __name__ == "__main__":
    set_start_method()
    counter = mp.Value("i", 0)
    ps = [mp.Process(target=racy, args=(counter, 200)) for _ in range(2)]
    [p.start() for p in ps]; [p.join() for p in ps]
    print("counter ok" if 0 < counter.value <= 400 else "counter bad", flush=True)
    arr = mp.Array("i", 3)
    with mp.Manager() as m:
        ns = m.Namespace()
        lst = m.list()
        d = m.dict()
        p = mp.Process(target=fill, args=(arr, ns, lst, d))
        p.start(); p.join()
        print(arr[0], ns.status, list(lst), dict(d), flush=True)
