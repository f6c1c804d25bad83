"""joblib.Parallel run in the caller's thread: n_jobs=1 (argument "1") or
backend="sequential" (argument "sequential"), 8 calls of a user function;
argument "raise": n_jobs=1 where the call for 5 raises."""
import sys
import time

from joblib import Parallel, delayed


def square(x, pause=0.0):
    time.sleep(pause)
    if x == 5 and sys.argv[1] == "raise":
        raise ValueError("no fives")
    return x * x


if __name__ == "__main__":
    how = sys.argv[1]
    parallel = Parallel(backend="sequential") if how == "sequential" else Parallel(n_jobs=1)
    try:
        print(parallel(delayed(square)(i, pause=0.01) for i in range(8)))
    except ValueError as e:
        print("ValueError:", e)
