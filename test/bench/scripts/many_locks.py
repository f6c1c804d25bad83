"""Takes an uncontended lock N times (argv[1]): N recorded lock holds, for traces at scale."""
import sys
import threading

lock = threading.Lock()
for _ in range(int(sys.argv[1])):
    with lock:
        pass
