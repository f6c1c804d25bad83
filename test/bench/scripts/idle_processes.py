"""N processes (argv[1]) that wait, idle, on one Event; "ready" once all started, then the program
stays idle for argv[2] seconds and lets them end. For the collector's idle cost."""
import multiprocessing as mp
import sys
import time


def wait(event):
    event.wait()


if __name__ == "__main__":
    n, idle = int(sys.argv[1]), float(sys.argv[2])
    go = mp.Event()
    procs = [mp.Process(target=wait, args=(go,)) for _ in range(n)]
    for p in procs:
        p.start()
    print("ready", flush=True)
    time.sleep(idle)
    go.set()
    for p in procs:
        p.join()
