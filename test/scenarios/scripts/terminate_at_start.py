"""Children terminated right after start(): most never get as far as their
tracer.  argv: start method, how many."""
import multiprocessing as mp
import sys
import time

from _method import set_start_method


def work():
    time.sleep(30)


if __name__ == "__main__":
    set_start_method()
    codes = []
    for _ in range(int(sys.argv[2])):
        p = mp.Process(target=work)
        p.start()
        p.terminate()
        p.join()
        codes.append(p.exitcode)
    print(codes)
    if sys.argv[1] != "fork":
        # The resource tracker (spawn) ends with the script, not after it: a
        # tracker still starting when the run ends is another test's matter.
        from multiprocessing import resource_tracker
        resource_tracker._resource_tracker._stop()
