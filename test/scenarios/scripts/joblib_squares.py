"""joblib's loky pool of 8 workers for 8 tiny tasks: workers still starting
are shut down at exit."""
from joblib import Parallel, delayed


def square(x):
    return x * x


if __name__ == "__main__":
    print(Parallel(n_jobs=8)(delayed(square)(i) for i in range(8)))
