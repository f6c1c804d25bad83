"""A Lock: four threads update one counter, one at a time.

Each update reads the counter, takes a moment (the sleep stands in for real
work), then writes it back. Without the lock two threads would read the same
value and one update would be lost; with it, only one thread is inside at a
time and the others wait their turn (red on the timeline, the holder in orange)."""
import threading
import time

counter = 0
counter_lock = threading.Lock()


def work(n):
    global counter
    for _ in range(n):
        with counter_lock:
            value = counter
            time.sleep(0.002)
            counter = value + 1


threads = [threading.Thread(target=work, args=(10,), name=f"worker-{i}") for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("counter =", counter)
