"""Processes starting processes, a Process subclass, os.fork, subprocess running python."""
import os
import subprocess
import sys
import multiprocessing as mp
from _method import set_start_method


class Worker(mp.Process):
    def run(self):
        print("subclass run in", self.name, flush=True)


def grandchild():
    print("grandchild", flush=True)


def middle():
    p = mp.Process(target=grandchild, name="grandchild")
    p.start()
    p.join()


if __name__ == "__main__":
    set_start_method()
    w = Worker(name="subclassed")
    w.start(); w.join()
    m = mp.Process(target=middle, name="middle")
    m.start(); m.join()
    pid = os.fork()
    if pid == 0:
        print("forked child", flush=True)
        os._exit(7)
    _, status = os.waitpid(pid, 0)
    print("fork status", os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8, flush=True)
    out = subprocess.run([sys.executable, "-c", "print('sub python')"], capture_output=True, text=True)
    print("subprocess said", out.stdout.strip(), flush=True)
    print("alive" if not m.is_alive() else "still alive", flush=True)
