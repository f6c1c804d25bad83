"""Takes a lock many times (a trace of a few MB), then exits with the code given."""
import sys
import threading

lock = threading.Lock()
for _ in range(int(sys.argv[1])):
    with lock:
        pass
sys.exit(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
