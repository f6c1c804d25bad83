"""joblib.Parallel with the backend named on the command line (loky,
multiprocessing, threading): 4 workers, 8 calls of a user function."""
import sys
import time

from joblib import Parallel, delayed


def square(x, pause=0.0):
    time.sleep(pause)
    return x * x


if __name__ == "__main__":
    backend = sys.argv[1]
    print(Parallel(n_jobs=4, backend=backend)(delayed(square)(i, pause=0.01) for i in range(8)))
