"""Four threads update a counter under a lock."""
import threading

counter = 0
counter_lock = threading.Lock()


def work(n):
    global counter
    for _ in range(n):
        with counter_lock:
            counter += 1


threads = [threading.Thread(target=work, args=(1000,), name=f"worker-{i}") for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("counter =", counter)
