"""All monkey-patches, applied from one place.

Each stdlib area has its own module with install(); a failing area is skipped
so the rest still traces and the program still runs.  Modules may also define
after_fork_in_child() to reset per-process state.
"""
import importlib
import os

AREAS = ("perturb",    # first: off unless asked; keeps the original time.sleep
         "threads", "locks", "queues", "pipes", "processes", "pools",
         "shared", "proxy_calls", "asyncio_tasks", "sleeps", "stdio",
         "py_state")   # after threads: wraps its Thread.start

installed = []


def install():
    for name in AREAS:
        try:
            module = importlib.import_module(__package__ + "." + name)
        except Exception:
            # Any failure (not only ImportError) leaves just this area untraced.
            if os.environ.get("CONCURRENCY_TRACE_DEBUG"):
                raise
            continue
        try:
            module.install()
            installed.append(module)
        except Exception:
            if os.environ.get("CONCURRENCY_TRACE_DEBUG"):
                raise


def after_fork_in_child():
    for module in installed:
        hook = getattr(module, "after_fork_in_child", None)
        if hook is not None:
            try:
                hook()
            except Exception:
                from .safety import failed
                failed()
