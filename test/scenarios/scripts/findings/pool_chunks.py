"""Pool.map with tasks of uneven length.

uneven:   chunksize=2 puts a short task behind the long one on one worker
          while the other workers run out of work
balanced: equal tasks, chunksize=1
"""
import sys
import time
from multiprocessing import Pool


def work(seconds):
    time.sleep(seconds)
    return seconds


if __name__ == "__main__":
    if sys.argv[1] == "uneven":
        jobs, chunksize = [2.0] + [0.05] * 7, 2
    else:
        jobs, chunksize = [0.3] * 8, 1
    with Pool(4) as pool:
        print(sum(pool.map(work, jobs, chunksize=chunksize)))
