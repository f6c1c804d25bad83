"""Two threads x 100 000 `counter += 1` on a module global, no lock (the
data-race tutorial). Prints the ns the threads took (start to join)."""
import threading
import time

N = 100_000
counter = 0


def work():
    global counter
    for _ in range(N):
        counter += 1


t0 = time.perf_counter_ns()
threads = [threading.Thread(target=work) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(time.perf_counter_ns() - t0)
