"""Takes and releases one lock N times (a trace of about N events, slow to save when N is millions),
prints its run directory, then ends as asked: "exit:CODE" (sys.exit) or "signal:NAME" (killed by it)."""
import os
import signal
import sys
import threading

n = int(sys.argv[1])
end = sys.argv[2] if len(sys.argv) > 2 else "exit:0"
lock = threading.Lock()
for _ in range(n):
    with lock:
        pass
print(os.environ.get("CONCURRENCY_TRACE_DIR", ""), flush=True)
how, what = end.split(":")
if how == "signal":
    sig = getattr(signal, what)
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)
sys.exit(int(what) if how == "exit" else 0)
