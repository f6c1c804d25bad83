"""The bank account: two processes move money in and out of one balance.

race:           Value, `balance.value = balance.value + 1` with no lock (lost updates)
locked:         the same with `with balance.get_lock():` around each update
manager-race:   a Manager().Value updated with no lock
manager-locked: a Manager().Value updated under a Manager().Lock()
"""
import sys
from multiprocessing import Manager, Process, Value

N = 200


def deposit(balance, lock, n):
    for _ in range(n):
        if lock is None:
            balance.value = balance.value + 1
        else:
            with lock:
                balance.value = balance.value + 1


def withdraw(balance, lock, n):
    for _ in range(n):
        if lock is None:
            balance.value -= 1
        else:
            with lock:
                balance.value -= 1


def run(balance, lock):
    workers = [Process(target=deposit, args=(balance, lock, N)),
               Process(target=withdraw, args=(balance, lock, N))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("final balance:", balance.value)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode.startswith("manager"):
        with Manager() as manager:
            balance = manager.Value("i", 0)
            lock = manager.Lock() if mode == "manager-locked" else None
            run(balance, lock)
    else:
        balance = Value("i", 0)
        run(balance, balance.get_lock() if mode == "locked" else None)
