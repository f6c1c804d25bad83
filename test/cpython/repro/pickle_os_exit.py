"""CPython 3.14/3.15 test_concurrent_futures.test_process_pool
*.test_force_shutdown_workers_dead_workers fails traced: it submits os._exit
to a ProcessPoolExecutor, and the patched os._exit does not pickle by
reference ("it's not the same object as posix._exit"). Issue 8, defect 7.

Untraced: prints "ok" and exits 0.  Traced: PicklingError, exit 1.
    node dist/cli.js run --python PY test/cpython/repro/pickle_os_exit.py
"""
import os
import pickle
from concurrent.futures import ProcessPoolExecutor

if __name__ == "__main__":
    assert pickle.loads(pickle.dumps(os._exit)) is os._exit
    with ProcessPoolExecutor(1) as ex:
        future = ex.submit(os._exit, 0)   # the worker dies: BrokenProcessPool, not PicklingError
        try:
            future.result()
        except Exception as e:
            assert type(e).__name__ == "BrokenProcessPool", repr(e)
    print("ok")
