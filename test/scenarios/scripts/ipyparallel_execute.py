"""ipyparallel: a cluster of 2 engines; execute a code string on both, run a
file on engine 0, and pull a name the code set."""
import os
import sys
import tempfile

import ipyparallel as ipp

if __name__ == "__main__":
    with ipp.Cluster(n=2, log_level=40) as rc:
        rc.wait_for_engines(2, timeout=120)
        view = rc[:]
        view.execute("\n  import time\ntime.sleep(0.05); answer = 6 * 7\n", block=True)
        fd, path = tempfile.mkstemp(suffix=".py")
        with os.fdopen(fd, "w") as f:
            f.write("doubled = answer * 2\n")
        try:
            rc[0].run(path, block=True)
        finally:
            os.unlink(path)
        print(view.pull("answer", block=True), rc[0].pull("doubled", block=True))
        sys.stdout.flush()
