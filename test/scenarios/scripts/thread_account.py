"""A shared object: deposits from two threads update self.total, with a
lock (`lock` argument) or without."""
import sys
import threading


class Account:
    def __init__(self):
        self.total = 0
        self.lock = threading.Lock()

    def deposit(self, x):
        self.total = self.total + x

    def deposit_locked(self, x):
        with self.lock:
            self.total = self.total + x


account = Account()


def work(locked):
    for _ in range(2000):
        if locked:
            account.deposit_locked(1)
        else:
            account.deposit(1)


threads = [threading.Thread(target=work, args=(sys.argv[1:] == ["lock"],)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("done")
