"""Processes that end in every way a process can end."""
import os
import signal
import sys
import time
import multiprocessing as mp


def ok():
    print("child ok", flush=True)


def hard_exit():
    os._exit(3)


def raises():
    raise RuntimeError("boom in child")


def killed_while_computing(ready):
    x = 0
    ready.set()
    while True:
        x += 1


def sleeper(ready):
    ready.set()
    time.sleep(60)


if __name__ == "__main__":
    mp.set_start_method(sys.argv[1] if len(sys.argv) > 1 else "fork")
    p = mp.Process(target=ok, name="ok-child"); p.start(); p.join()
    print("ok", p.exitcode, flush=True)
    p = mp.Process(target=hard_exit, name="os-exit-child"); p.start(); p.join()
    print("os._exit", p.exitcode, flush=True)
    p = mp.Process(target=raises, name="raising-child"); p.start(); p.join()
    print("raises", p.exitcode, flush=True)
    ready = mp.Event()
    p = mp.Process(target=killed_while_computing, args=(ready,), name="sigkill-child"); p.start()
    ready.wait(30)
    os.kill(p.pid, signal.SIGKILL); p.join()
    print("sigkill", p.exitcode, flush=True)
    ready = mp.Event()
    p = mp.Process(target=sleeper, args=(ready,), name="terminated-child"); p.start()
    ready.wait(30)  # under spawn, start-up takes a while: terminate a child that is running
    p.terminate(); p.join()
    print("terminate", p.exitcode, flush=True)
    sys.exit(5)
