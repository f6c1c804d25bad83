"""Two processes move money in and out of a shared balance. Without the lock
the read-modify-write races and the balance rarely ends at 0; with --lock it does."""
import sys
from multiprocessing import Process, Value


def deposit(balance, n, use_lock):
    for _ in range(n):
        if use_lock:
            with balance.get_lock():
                balance.value += 1
        else:
            balance.value += 1


def withdraw(balance, n, use_lock):
    for _ in range(n):
        if use_lock:
            with balance.get_lock():
                balance.value -= 1
        else:
            balance.value -= 1


if __name__ == "__main__":
    use_lock = "--lock" in sys.argv
    balance = Value("i", 0)
    workers = [Process(target=deposit, args=(balance, 3000, use_lock)),
               Process(target=withdraw, args=(balance, 3000, use_lock))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("final balance:", balance.value)
