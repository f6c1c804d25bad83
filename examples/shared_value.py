"""Shared memory: a Value and an Array that every process sees.

Four processes add to one shared counter, each taking the counter's own lock
around the read-modify-write (`with counter.get_lock():`), so no update is
lost; each also writes its own slot of a shared Array. The timeline shows the
reads and writes of the shared memory and the lock held around them."""
from multiprocessing import Array, Process, Value


def add(counter, slots, i, n):
    for _ in range(n):
        with counter.get_lock():
            counter.value += 1
    slots[i] = n


if __name__ == "__main__":
    counter = Value("i", 0)
    slots = Array("i", 4)
    workers = [Process(target=add, args=(counter, slots, i, 200)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("counter =", counter.value, "slots =", list(slots))
