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
         "py_state",   # after threads: wraps its Thread.start
         "lib_joblib", "lib_dask", "lib_distributed", "lib_ipyparallel")

# Areas whose install() only registers post-import hooks: imported and
# installed when the first module they watch is imported, so a process that
# never imports those does not import the area (~2 ms of every process's
# start-up for all of them).  Each tuple is every module its area's install()
# watches (test_startup checks it).
LAZY = {
    "pools": ("multiprocessing.pool", "concurrent.futures._base", "concurrent.futures.thread",
              "concurrent.futures.process"),
    "shared": ("multiprocessing.sharedctypes", "multiprocessing.managers"),
    "proxy_calls": ("multiprocessing.managers",),
    "asyncio_tasks": ("asyncio",),
    "lib_joblib": ("joblib.externals.loky.backend.resource_tracker", "loky.backend.resource_tracker",
                   "joblib.parallel", "joblib._parallel_backends", "joblib.externals.loky.process_executor"),
    "lib_dask": ("dask.local",),
    "lib_distributed": ("distributed.client", "distributed.worker"),
    "lib_ipyparallel": ("ipyparallel.serialize.serialize", "ipyparallel.client.client",
                        "ipyparallel.engine.kernel"),
}

installed = []


def install():
    from .import_hooks import defer
    eager = os.environ.get("CONCURRENCY_TRACE_EAGER_AREAS")     # measurements: every area at start-up
    for name in AREAS:
        if name in LAZY and not eager:
            defer(LAZY[name], lambda name=name: install_area(name))
        else:
            install_area(name)


def install_area(name):
    try:
        module = importlib.import_module(__package__ + "." + name)
    except Exception:
        # Any failure (not only ImportError) leaves just this area untraced.
        if os.environ.get("CONCURRENCY_TRACE_DEBUG"):
            raise
        return
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
