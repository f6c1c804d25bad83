"""threading.Thread: start, life, join, names and uncaught exceptions.

Patched on the Thread class itself so subclasses (with their own run())
inherit the tracing; every original method is called with the same
arguments and its result returned unchanged.
"""
import threading

from . import events, sites, writer

# Helper threads the standard library starts for its own plumbing; they are
# shown, but grouped as internal.
_INTERNAL_TARGETS = {
    ("multiprocessing.queues", "_feed"),
    ("multiprocessing.pool", "_handle_workers"),
    ("multiprocessing.pool", "_handle_tasks"),
    ("multiprocessing.pool", "_handle_results"),
    ("multiprocessing.resource_sharer", "_serve"),
    ("multiprocessing.managers", "serve_forever"),
    ("multiprocessing.managers", "accepter"),
    ("multiprocessing.managers", "handle_request"),
    ("multiprocessing.managers", "serve_client"),
    ("multiprocessing.util", "_exit_function"),
}
_INTERNAL_CLASSES = {"_ExecutorManagerThread", "_QueueManagementThread"}
INTERNAL = 2
DAEMON = 1

_originals = {}


def _flags(thread):
    flags = DAEMON if thread.daemon else 0
    target = getattr(thread, "_target", None)
    func = getattr(target, "__func__", target)
    key = (getattr(func, "__module__", None), getattr(func, "__name__", None))
    if key in _INTERNAL_TARGETS or type(thread).__name__ in _INTERNAL_CLASSES:
        flags |= INTERNAL
    return flags


def install():
    Thread = threading.Thread
    orig_bootstrap_inner = Thread._bootstrap_inner
    orig_start = Thread.start
    orig_join = Thread.join
    name_prop = Thread.name
    orig_make_hook = getattr(threading, "_make_invoke_excepthook", None)
    _originals.update(_bootstrap_inner=orig_bootstrap_inner, start=orig_start,
                      join=orig_join, name=name_prop, _make_invoke_excepthook=orig_make_hook)

    def _bootstrap_inner(self):
        span = 0
        try:
            if writer.enabled:
                span = writer.begin(events.THREAD_START, threading.get_native_id(), 0,
                                    writer.intern(self.name), _flags(self))
        except Exception:
            span = 0
        try:
            return orig_bootstrap_inner(self)
        finally:
            if span:
                try:
                    writer.finish_time(span)
                except Exception:
                    pass

    def start(self):
        t0 = writer.monotonic_ns()
        result = orig_start(self)
        try:
            if writer.enabled:
                writer.point_at(events.THREAD_SPAWN, t0, writer.get_ident(), self.ident or 0,
                                sites.site(1), end=writer.monotonic_ns())
        except Exception:
            pass
        return result

    def join(self, timeout=None):
        span = 0
        try:
            if writer.enabled and self._started.is_set():
                span = writer.begin(events.THREAD_JOIN, self.ident or 0, sites.site(1))
        except Exception:
            span = 0
        result = orig_join(self, timeout)
        if span:
            try:
                writer.finish(span, 0 if self.is_alive() else 1)
            except Exception:
                pass
        return result

    def _set_name(self, value):
        name_prop.fset(self, value)
        try:
            if writer.enabled and self._started.is_set() and self.ident:
                writer.point(events.THREAD_NAME, self.ident, 0, writer.intern(self.name))
        except Exception:
            pass

    Thread._bootstrap_inner = _bootstrap_inner
    Thread.start = start
    Thread.join = join
    Thread.name = property(name_prop.fget, _set_name, name_prop.fdel, name_prop.__doc__)

    if orig_make_hook is not None:
        def _make_invoke_excepthook():
            invoke = orig_make_hook()

            def invoke_excepthook(thread):
                try:
                    if writer.enabled:
                        import traceback  # only when a thread fails: keeps start-up light
                        text = "".join(traceback.format_exc(limit=20))
                        writer.point(events.THREAD_EXCEPTION, thread.ident or 0, 0, writer.blob(text))
                except Exception:
                    pass
                return invoke(thread)
            return invoke_excepthook
        threading._make_invoke_excepthook = _make_invoke_excepthook

    for fn, orig in ((_bootstrap_inner, orig_bootstrap_inner), (start, orig_start), (join, orig_join)):
        _copy_identity(fn, orig)


def _copy_identity(fn, orig):
    fn.__name__ = orig.__name__
    fn.__qualname__ = orig.__qualname__
    fn.__doc__ = orig.__doc__
    fn.__wrapped__ = orig


def uninstall():
    Thread = threading.Thread
    for key in ("_bootstrap_inner", "start", "join", "name"):
        if key in _originals:
            setattr(Thread, key, _originals[key])
    if _originals.get("_make_invoke_excepthook") is not None:
        threading._make_invoke_excepthook = _originals["_make_invoke_excepthook"]
