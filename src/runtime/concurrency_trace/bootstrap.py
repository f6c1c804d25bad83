"""Start tracing this process: open its files, describe it, apply patches,
and follow it through fork and exit."""
import atexit
import json
import os
import sys
import threading
import time

from . import events, patches, sites, writer

_main_thread_span = 0
_exit_recorded = False   # an exit with its code was written: shutdown adds none


def start():
    directory = os.environ["CONCURRENCY_TRACE_DIR"]
    if not os.path.isdir(directory):
        return
    writer.open_process(directory, os.environ.get("CONCURRENCY_TRACE_TOKEN", ""))
    _announce_process()
    patches.install()
    os.register_at_fork(after_in_child=_after_fork_in_child)
    atexit.register(_at_exit)


def _meta():
    argv = list(getattr(sys, "orig_argv", None) or [sys.executable] + list(getattr(sys, "argv", [])))
    return json.dumps({
        "argv": argv,
        "executable": sys.executable,
        "python": "%d.%d.%d" % sys.version_info[:3],
        "implementation": sys.implementation.name,
        "gil": _gil(),
        "cwd": _safe_cwd(),
        "wallNs": time.time_ns(),
        "monoNs": time.monotonic_ns(),
    })


def _gil():
    """"default": a build with the GIL; "enabled"/"disabled": a free-threaded
    build (abiflags "t", 3.13+) and its GIL now (sitecustomize traces only "enabled")."""
    if "t" not in getattr(sys, "abiflags", ""):
        return "default"
    return "enabled" if sys._is_gil_enabled() else "disabled"


def _safe_cwd():
    try:
        return os.getcwd()
    except OSError:
        return ""


def _announce_process():
    global _main_thread_span
    # The thread first: the reader files every record under a known thread.
    current = threading.current_thread()
    name = current.name if current is threading.main_thread() else "MainThread"
    _main_thread_span = writer.begin(events.THREAD_START, threading.get_native_id(), 0,
                                     writer.intern(name), 0)
    writer.point(events.PROCESS_START, os.getpid(), 0, os.getppid(), writer.blob(_meta()))


def _after_fork_in_child():
    global _exit_recorded
    _exit_recorded = False
    try:
        writer.reopen_after_fork()
        sites.reset_after_fork()
        _announce_process()
        patches.after_fork_in_child()
    except Exception:
        writer.enabled = False


def _at_exit():
    try:
        writer.finish_time(_main_thread_span)
        if not _exit_recorded:
            writer.point(events.PROCESS_EXIT, writer.pid(), 0, 0, 0)
    except Exception:
        pass


def record_exit(code):
    """Called where the exit code is known (os._exit, a multiprocessing child's
    _bootstrap): records process.exit with it."""
    global _exit_recorded
    try:
        writer.finish_time(_main_thread_span)
        writer.point(events.PROCESS_EXIT, writer.pid(), 0, int(code), 1)
        _exit_recorded = True
    except Exception:
        pass
