"""Many threads take one lock under heavy GIL contention: a thread often loses
the GIL between claiming an event slot and filling it, for a long time (the
switch interval times the number of threads).  argv: threads, total
acquisitions, switch interval (s)."""
import sys
import threading

n_threads = int(sys.argv[1])
total = int(sys.argv[2])
sys.setswitchinterval(float(sys.argv[3]))
lock = threading.Lock()
per = total // n_threads


def work():
    for _ in range(per):
        with lock:
            pass


threads = [threading.Thread(target=work) for _ in range(n_threads)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(per * n_threads)
