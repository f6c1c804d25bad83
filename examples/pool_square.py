"""Pool(4).map(square, range(6)): six tasks spread over four worker processes.

map() hands the six calls to the pool's four workers and waits for all the
results, in order. Each call takes a moment (the sleep stands in for real
work), so the four workers run four at once, then two more. The timeline
shows each task on the worker that ran it, with arrows from the call to the
task and back."""
import time
from multiprocessing import Pool


def square(x):
    time.sleep(0.05)
    return x * x


if __name__ == "__main__":
    with Pool(4) as pool:
        print(pool.map(square, range(6)))
