"""Four workers for a fixed time (so a loaded machine changes the work done,
not the duration): the GIL lesson.

threads:   four CPU-bound threads (one process: the GIL lets one run at a time)
processes: four CPU-bound processes
sleep:     four threads that mostly sleep
io:        four threads that mostly wait for data on a pipe
"""
import multiprocessing as mp
import os
import sys
import threading
import time

SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 2.5


def spin(deadline):
    x = 0
    while time.monotonic() < deadline:
        for i in range(10000):
            x += i
    return x


def sleeper(deadline):
    while time.monotonic() < deadline:
        time.sleep(0.05)


def reader(fd, deadline):
    while time.monotonic() < deadline:
        if not os.read(fd, 1):
            break


def feeder(fds, deadline):
    while time.monotonic() < deadline:
        for fd in fds:
            os.write(fd, b"x")
        time.sleep(0.05)
    for fd in fds:
        os.close(fd)


if __name__ == "__main__":
    mode = sys.argv[1]
    deadline = time.monotonic() + SECONDS
    if mode == "processes":
        workers = [mp.Process(target=spin, args=(deadline,)) for _ in range(4)]
    elif mode == "threads":
        workers = [threading.Thread(target=spin, args=(deadline,), name="cpu-%d" % i) for i in range(4)]
    elif mode == "sleep":
        workers = [threading.Thread(target=sleeper, args=(deadline,), name="sleeper-%d" % i) for i in range(4)]
    else:
        pipes = [os.pipe() for _ in range(4)]
        workers = [threading.Thread(target=reader, args=(r, deadline), name="reader-%d" % i) for i, (r, w) in enumerate(pipes)]
        workers.append(threading.Thread(target=feeder, args=([w for r, w in pipes], deadline), name="feeder"))
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("done")
