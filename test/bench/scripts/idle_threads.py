"""N threads (argv[1]) that wait, idle, on one Event; "ready" once all started, then the program
stays idle for argv[2] seconds and lets them end. For the sampler's per-thread cost."""
import sys
import threading
import time

if __name__ == "__main__":
    n, idle = int(sys.argv[1]), float(sys.argv[2])
    go = threading.Event()
    threads = [threading.Thread(target=go.wait) for _ in range(n)]
    for t in threads:
        t.start()
    print("ready", flush=True)
    time.sleep(idle)
    go.set()
    for t in threads:
        t.join()
