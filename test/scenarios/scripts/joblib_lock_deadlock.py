"""joblib threading backend: the caller holds the lock the calls need while
it waits for them; joblib's timeout (2 s) ends the wait."""
import threading

from joblib import Parallel, delayed

lock = threading.Lock()


def locked_square(x):
    with lock:
        return x * x


if __name__ == "__main__":
    with lock:
        try:
            Parallel(n_jobs=2, backend="threading", timeout=2)(delayed(locked_square)(i) for i in range(2))
        except Exception as e:
            print("gave up:", type(e).__name__)
