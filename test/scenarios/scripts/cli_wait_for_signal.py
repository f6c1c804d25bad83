"""Prints its pid, its child's pid and its run directory, then waits to be signalled.

With "usr1": a SIGUSR1 handler that prints and exits 0. With "child": also starts a
multiprocessing child that sleeps (to be left behind when this process dies).
"""
import multiprocessing as mp
import os
import signal
import sys
import time


def sleeper():
    time.sleep(60)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "usr1":
        def on_usr1(signum, frame):
            print("got SIGUSR1", flush=True)
            sys.exit(0)
        signal.signal(signal.SIGUSR1, on_usr1)
    child = 0
    if mode == "child":
        p = mp.get_context("fork").Process(target=sleeper)
        p.start()
        child = p.pid
    print(os.getpid(), child, os.environ.get("CONCURRENCY_TRACE_DIR", ""), flush=True)
    if mode == "usr1":
        os.kill(os.getppid(), signal.SIGUSR1)
    # Short sleeps: on CPython 3.14+ a signal that lands right after the print above, before
    # the sleep starts, is handled only when the sleep returns (untraced too; README, Limits).
    for _ in range(600):
        time.sleep(0.1)
