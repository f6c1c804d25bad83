"""threading.Thread: start, life, join, names and uncaught exceptions.

Patched on the Thread class itself so subclasses (with their own run())
inherit the tracing; every original method is called with the same
arguments and its result returned unchanged, its exceptions re-raised with
their untraced traceback (safety).  Attributes are read from the Thread's
own fields (_name, _daemonic, _target), never through properties or
methods a subclass may override, and a target is named without touching it
(safe_values): no code of the program runs that would not run untraced.
"""
import functools
import sys
import threading
import types

from . import events, lib_sites, patching, raw_threads, safe_values, safety, sites, writer

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
LIBRARY = 4

_failed = safety.failed
_hide = safety.hide
_getframe = sys._getframe
_originals = {}
_partial = functools.partial
# Called in a thread as it begins (before it runs: True) and as it ends
# (False), each hook(begins) in that thread: py_state forgets what it keeps
# per ident (a new thread may get the ident of one that ended).
thread_hooks = []
hooked = [False]    # the hooks are called (install() wrapped _bootstrap_inner)


def _call_hooks(begins):
    for hook in thread_hooks:
        try:
            hook(begins)
        except Exception:
            _failed()


def _field(thread, name, default=None):
    """A field the Thread constructor set (instance dict), read directly."""
    try:
        return thread.__dict__.get(name, default)
    except Exception:
        _failed()
        return default


def _name(thread):
    name = _field(thread, "_name")
    return name if type(name) is str else ""


def target_key(target):
    """(module, name) of a plain function or bound method, else (None, None)."""
    t = type(target)
    if t is types.MethodType:
        target = target.__func__
        t = type(target)
    if t is types.FunctionType:
        return target.__module__, target.__name__
    return None, None


def _flags(thread):
    flags = DAEMON if _field(thread, "_daemonic") else 0
    if (target_key(_field(thread, "_target")) in _INTERNAL_TARGETS
            or safe_values.name_of(type(thread)) in _INTERNAL_CLASSES):
        flags |= INTERNAL
    package = _library_package(thread)
    if package:
        # events.py THREAD_START: b >> 3 is the blob of the library's name.
        flags |= LIBRARY | writer.intern(package) << 3
    return flags


def _library_package(thread):
    """The installed package that defines the function the thread runs (its
    target, else its class's run()): dask's event-loop and comm threads,
    loky's and ipyparallel's helpers; None for any other thread."""
    fn = _field(thread, "_target")
    if fn is None:
        fn = safe_values.class_attr(type(thread), "run")
    # functools.partial(f, ...) (distributed's "Nanny stop queue watch"): f, read from the C
    # partial's own field (exactly that type: a subclass could compute .func).
    for _ in range(3):
        if type(fn) is not _partial:
            break
        fn = fn.func
    if type(fn) is types.MethodType:
        fn = fn.__func__
    if type(fn) is not types.FunctionType:
        return None
    return lib_sites.package_of(fn.__code__.co_filename)


def exception_text(exc_type, exc, tb):
    """An uncaught exception as a traceback text without running any of the
    program's code: frames with their source lines (read from the files),
    then "Type: message" (safe_values.exception_text)."""
    import linecache
    lines = ["Traceback (most recent call last):\n"]
    n = 0
    while tb is not None and n < 20:
        code = tb.tb_frame.f_code
        lines.append('  File "%s", line %d, in %s\n' % (code.co_filename, tb.tb_lineno, code.co_name))
        source = linecache.getline(code.co_filename, tb.tb_lineno).strip()
        if source:
            lines.append("    %s\n" % source)
        tb = tb.tb_next
        n += 1
    if exc is None:
        lines.append(safe_values.qualname_of(exc_type) + "\n")
    else:
        lines.append(safe_values.exception_text(exc) + "\n")
    return "".join(lines)


def install():
    Thread = threading.Thread
    orig_bootstrap_inner = Thread._bootstrap_inner
    name_prop = Thread.name
    orig_make_hook = getattr(threading, "_make_invoke_excepthook", None)
    orig_is_alive = Thread.is_alive
    _originals.update(_bootstrap_inner=orig_bootstrap_inner, start=Thread.start,
                      join=Thread.join, name=name_prop, _make_invoke_excepthook=orig_make_hook)

    def make_bootstrap_inner(orig):
        def _bootstrap_inner(self):
            span = 0
            if thread_hooks:
                _call_hooks(True)
            try:
                if writer.enabled:
                    span = writer.begin(events.THREAD_START, threading.get_native_id(), 0,
                                        writer.intern(_name(self)), _flags(self))
            except Exception:
                span = 0
                _failed()
            try:
                return orig(self)
            finally:
                if span:
                    try:
                        writer.finish_time(span)
                    except Exception:
                        _failed()
                if thread_hooks:
                    _call_hooks(False)
        return _bootstrap_inner

    def make_start(orig):
        def start(self):
            try:
                t0 = writer.monotonic_ns()
                result = orig(self)
                try:
                    if writer.enabled:
                        writer.point_at(events.THREAD_SPAWN, t0, writer.get_ident(),
                                        _field(self, "_ident") or 0, sites.site(1),
                                        end=writer.monotonic_ns())
                except Exception:
                    _failed()
                return result
            except BaseException as exc:
                _hide(exc)
                raise
        return start

    def make_join(orig):
        def join(self, timeout=None):
            try:
                span = 0
                try:
                    started = _field(self, "_started")
                    if writer.enabled and started is not None and started.is_set():
                        span = writer.begin(events.THREAD_JOIN, _field(self, "_ident") or 0,
                                            sites.site(1))
                except Exception:
                    _failed()
                try:
                    result = orig(self, timeout)
                finally:
                    # also when join raised (Ctrl-C): the wait is over
                    if span:
                        try:
                            writer.finish(span, 0 if orig_is_alive(self) else 1)
                        except Exception:
                            _failed()
                return result
            except BaseException as exc:
                _hide(exc)
                raise
        return join

    def _set_name(self, value):
        try:
            name_prop.fset(self, value)
        except BaseException as exc:
            _hide(exc)
            raise
        try:
            started = _field(self, "_started")
            ident = _field(self, "_ident")
            if writer.enabled and started is not None and started.is_set() and ident:
                writer.point(events.THREAD_NAME, ident, 0, writer.intern(_name(self)))
        except Exception:
            _failed()

    patching.wrap(Thread, "_bootstrap_inner", make_bootstrap_inner)
    hooked[0] = True
    raw_threads.install()     # _thread.start_new_thread's threads: recorded too
    patching.wrap(Thread, "start", make_start)
    patching.wrap(Thread, "join", make_join)
    patching.copy_identity(_set_name, name_prop.fset)
    Thread.name = property(name_prop.fget, _set_name, name_prop.fdel, name_prop.__doc__)

    if orig_make_hook is not None:
        def _make_invoke_excepthook():
            invoke = orig_make_hook()

            def invoke_excepthook(thread):
                try:
                    if writer.enabled:
                        et, ev, tb = sys.exc_info()
                        writer.point(events.THREAD_EXCEPTION, _field(thread, "_ident") or 0, 0,
                                     writer.blob(exception_text(et, ev, tb)))
                except Exception:
                    _failed()
                return invoke(thread)
            return invoke_excepthook
        threading._make_invoke_excepthook = patching.copy_identity(_make_invoke_excepthook,
                                                                   orig_make_hook)


def uninstall():
    Thread = threading.Thread
    hooked[0] = False
    raw_threads.uninstall()
    for key in ("_bootstrap_inner", "start", "join", "name"):
        if key in _originals:
            setattr(Thread, key, _originals[key])
    if _originals.get("_make_invoke_excepthook") is not None:
        threading._make_invoke_excepthook = _originals["_make_invoke_excepthook"]
