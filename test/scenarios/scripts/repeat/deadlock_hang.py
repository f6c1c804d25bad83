"""Two threads take two locks in opposite orders and both hold their first
(a Barrier): a deadlock on every run, and the program hangs (no watchdog)."""
import threading

first = threading.Lock()
second = threading.Lock()
both_hold = threading.Barrier(2)


def one():
    with first:
        both_hold.wait()
        with second:
            pass


def two():
    with second:
        both_hold.wait()
        with first:
            pass


threads = [threading.Thread(target=one, name="one"), threading.Thread(target=two, name="two")]
for t in threads:
    t.start()
print("started", flush=True)
for t in threads:
    t.join()
