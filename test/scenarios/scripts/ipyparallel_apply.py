"""ipyparallel: a cluster of 2 engines; apply_sync on each engine, and a
map of 4 squares over both."""
import ipyparallel as ipp


def square(x):
    return x * x


def where(tag):
    import os
    return tag, os.getpid() > 0


if __name__ == "__main__":
    with ipp.Cluster(n=2, log_level=40) as rc:
        rc.wait_for_engines(2, timeout=120)
        print([rc[i].apply_sync(where, "engine-%d" % i) for i in range(2)])
        print(rc[:].map_sync(square, range(4)))
