"""joblib.Parallel with the backend named on the command line (loky,
multiprocessing, threading): 4 workers, 8 calls of a user function that
sleeps 10 ms (or the seconds given as the second argument)."""
import sys
import time

from joblib import Parallel, delayed


def square(x, pause=0.0):
    time.sleep(pause)
    return x * x


if __name__ == "__main__":
    backend = sys.argv[1]
    pause = float(sys.argv[2]) if len(sys.argv) > 2 else 0.01
    print(Parallel(n_jobs=4, backend=backend)(delayed(square)(i, pause=pause) for i in range(8)))
