"""Two processes, 1000 lock-protected updates each, on a shared Value."""
from multiprocessing import Lock, Process, Value


def update(lock, value, n):
    for _ in range(n):
        with lock:
            value.value += 1


if __name__ == "__main__":
    lock = Lock()
    value = Value("i", 0, lock=False)
    ps = [Process(target=update, args=(lock, value, 1000)) for _ in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print(value.value)
