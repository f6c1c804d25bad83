"""Started and never joined.

thread:  a non-daemon thread still working when the main code is done
process: a process still working when the main code is done
joined:  both joined
"""
import multiprocessing as mp
import sys
import threading
import time


def work():
    time.sleep(0.5)


if __name__ == "__main__":
    mode = sys.argv[1]
    t = threading.Thread(target=work, name="background")
    p = mp.Process(target=work)
    if mode in ("thread", "joined"):
        t.start()
    if mode in ("process", "joined"):
        p.start()
    print("main code done", flush=True)
    if mode == "joined":
        t.join()
        p.join()
        print("joined", flush=True)
