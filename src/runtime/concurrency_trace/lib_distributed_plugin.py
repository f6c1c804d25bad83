"""The worker plugin a traced dask.distributed Client registers on the
cluster's workers (lib_distributed_remote): each task a worker finishes
executing is reported through the worker's event log (worker.log_event ->
the scheduler's event log -> the client's topic subscription), with the
times dask measured and the worker's own clock readings.

This file is not imported by the tracer: lib_distributed_remote executes
its text in a namespace of its own whose module name no process can import,
so pickle cannot save the class by reference and dask falls back to
cloudpickle, which saves it by value.  A worker that has no tracer (another
terminal, another machine) unpickles and runs it with the standard library
and distributed alone.  So: no import of concurrency_trace here, nothing
but the standard library, and nothing of the user's is ever called (keys
are dask's strings; no repr of results or arguments).

Message (a list, msgpack-able), one per task that left "executing" or
"long-running" for "memory" or "error":
  [1, key, ok, start, stop, thread ident, thread name, pid, host name,
   worker address, scheduler_delay, latency, now]
start / stop: dask's compute times on the worker's own clock (time.time();
dask adds its scheduler_delay as the task starts, taken off again here);
scheduler_delay: the worker's estimate of (scheduler clock - its clock)
from its heartbeats (the midpoint of a round trip; measured off by up to
1 s on a loaded machine right after the worker started); latency: its
running mean heartbeat round trip (s); now: the worker's time.time() as it
sends the message.

A worker that this very run traces (its environment holds the run's token)
stays silent: its own tracer records its tasks (lib_distributed).
"""
import hashlib
import os
import socket
import threading
import time

TOKEN_ENV = "CONCURRENCY_TRACE_TOKEN"
VERSION = 1


def run_mark(token):
    """What a worker compares to tell whether it is in the client's run
    (the token itself never leaves the client)."""
    return hashlib.sha256(("concurrency-trace-run\0" + token).encode("utf-8", "replace")).hexdigest()[:32]


class TaskReporter:
    def __init__(self, topic, mark):
        self.topic = topic
        self.mark = mark
        self.worker = None
        self.quiet = True
        self.pid = 0
        self.host = ""
        self.delays = {}        # key -> the worker's scheduler_delay as the key began executing

    def setup(self, worker):
        self.worker = worker
        self.pid = os.getpid()
        try:
            self.host = socket.gethostname()
        except OSError:
            self.host = ""
        token = os.environ.get(TOKEN_ENV, "")
        self.quiet = bool(token) and run_mark(token) == self.mark

    def teardown(self, worker):
        self.quiet = True
        self.worker = None

    def transition(self, key, start, finish, **kwargs):
        if self.quiet:
            return
        worker = self.worker
        if worker is None or type(key) is not str:
            return
        if finish == "executing":
            # What dask adds to this run's start / stop (apply_function's time_delay).
            self.delays[key] = getattr(worker, "scheduler_delay", 0.0)
            return
        if start not in ("executing", "long-running") or finish == "long-running":     # (seceded: still running)
            return
        delay = self.delays.pop(key, None)
        if delay is None or finish not in ("memory", "error"):
            return
        state = getattr(worker, "state", None)
        tasks = getattr(state, "tasks", None)
        ts = tasks.get(key) if type(tasks) is dict else None
        compute = None
        for ss in reversed(getattr(ts, "startstops", None) or ()):
            if type(ss) is dict and ss.get("action") == "compute":
                compute = ss
                break
        if compute is None:
            return
        threads = getattr(worker, "threads", None)
        ident = threads.get(key, 0) if type(threads) is dict else 0
        thread = threading._active.get(ident) if type(ident) is int else None
        name = thread.__dict__.get("_name", "") if isinstance(thread, threading.Thread) else ""
        delay = float(delay) if type(delay) in (int, float) else 0.0
        worker.log_event(self.topic, [
            VERSION, key, 1 if finish == "memory" else 0,
            float(compute.get("start", 0.0)) - delay, float(compute.get("stop", 0.0)) - delay,
            ident if type(ident) is int else 0, name if type(name) is str else "",
            self.pid, self.host, str(getattr(worker, "address", "") or ""),
            delay, float(getattr(worker, "latency", 0.0) or 0.0),
            time.time(),
        ])
