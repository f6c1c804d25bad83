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
# Both threads alive at once: a thread that ended before the other started can hand its
# ident on, and the runtime's budget then takes the two for one (see the closing note).
both = threading.Barrier(2)


def work(locked):
    both.wait()
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
