"""Changes directory, then starts children (spawn): they must still find the
run's folder."""
import multiprocessing as mp
import os


def hello(q):
    q.put(os.getpid())


if __name__ == "__main__":
    mp.set_start_method("spawn")
    os.chdir("/")
    q = mp.Queue()
    procs = [mp.Process(target=hello, args=(q,)) for _ in range(2)]
    for p in procs:
        p.start()
    pids = sorted(q.get() for _ in procs)
    for p in procs:
        p.join()
    print(len(pids))
    # The resource tracker ends with the script, not after it (a tracker
    # still starting as the run ends is another test's matter).
    from multiprocessing import resource_tracker
    resource_tracker._resource_tracker._stop()
