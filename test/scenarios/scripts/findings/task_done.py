"""Queue.join() waits until task_done() has been called for every item put.

forgot: the consumer takes the items and never calls task_done(), so
        join() waits for good; a helper process sends the program SIGINT
        after 2 s, as a user pressing Ctrl-C would.
fixed:  the consumer calls task_done() for every item; join() returns.
"""
import os
import queue
import subprocess
import sys
import threading

mode = sys.argv[1]
q = queue.Queue()


def worker():
    while True:
        q.get()
        if mode == "fixed":
            q.task_done()


threading.Thread(target=worker, name="worker", daemon=True).start()
for i in range(3):
    q.put(i)
ctrl_c = None
if mode == "forgot":
    ctrl_c = subprocess.Popen([sys.executable, "-c", "import os, signal, time; time.sleep(2); os.kill(%d, signal.SIGINT)" % os.getpid()])
try:
    q.join()
    print("all done", flush=True)
finally:
    if ctrl_c:
        ctrl_c.wait()
