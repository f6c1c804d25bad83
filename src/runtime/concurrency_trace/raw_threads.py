"""Threads started with _thread.start_new_thread (its alias start_new) and,
3.13+, _thread.start_joinable_thread: recorded like threading.Thread's
(threads.py), and given the same per-thread hooks (py_state).

- In the starting thread: THREAD_SPAWN (obj = the new thread's ident), and
  around the start the start_hooks (py_state: recording switched on at the
  first start, or a new epoch; the arrival noted).
- In the new thread, around the function: THREAD_START (name "": shown as
  "Thread <ident>"; daemon, as _thread's threads are not waited for at exit,
  except a joinable one started with daemon=False), and the thread_hooks
  (py_state: what it keeps per ident is forgotten, for a new thread may get
  the ident of one that ended; on 3.8-3.11 the new thread gets its tracer).
  Without the THREAD_START span, two threads one after the other with the
  same ident would be one thread to the analysis.

threading's own aliases (_start_new_thread, _start_joinable_thread) are
set to the replacements too, so that they pickle by reference as untraced
(pickle finds _thread.start_new_thread and insists on the same object);
Thread.start's call (the function: a Thread's bound _bootstrap) goes
straight to the original, recorded by threads.py as before.

The new thread runs a _Run, which calls the function with the same
arguments and returns its result.  An exception the function raises goes on
with its untraced traceback (safety.hide) to _thread's own report ("Exception
ignored in thread started by: <repr>"): _Run's repr is the function's, the
repr untraced prints, computed at the same moment.  What differs: the object
a custom sys.unraisablehook receives is the _Run, and the function's frame
has a frame of ours below it (as threading's have _bootstrap_inner's)."""
import _thread
import threading
import types

from . import events, patching, safe_values, safety, sites, writer

_hide = safety.hide
_failed = safety.failed
_originals = {}
_NAMES = ("start_new_thread", "start_new", "start_joinable_thread")
_ALIASES = {"start_new_thread": "_start_new_thread", "start_joinable_thread": "_start_joinable_thread"}
_MethodType = types.MethodType
_Thread = threading.Thread
DAEMON = 1
thread_hooks = []       # hook(begins), in the new thread (as threads.thread_hooks)
start_hooks = []        # (starting() -> token, started(token, ident)), in the starting thread


class _Run(object):
    __slots__ = ("function", "flags")

    def __init__(self, function, flags):
        self.function = function
        self.flags = flags

    def __call__(self, *args, **kwargs):
        span = 0
        for hook in thread_hooks:
            try:
                hook(True)
            except Exception:
                _failed()
        try:
            if writer.enabled:
                span = writer.begin(events.THREAD_START, _thread.get_native_id(), 0,
                                    writer.intern(""), self.flags)
        except Exception:
            span = 0
            _failed()
        try:
            return self.function(*args, **kwargs)
        except BaseException as exc:
            _hide(exc)
            raise
        finally:
            if span:
                try:
                    writer.finish_time(span)
                except Exception:
                    _failed()
            for hook in thread_hooks:
                try:
                    hook(False)
                except Exception:
                    _failed()

    def __repr__(self):
        return repr(self.function)


def _starting():
    tokens = []
    for starting, _ in start_hooks:
        try:
            tokens.append(starting())
        except Exception:
            _failed()
            tokens.append(None)
    return tokens


def _started(tokens, ident):
    for (_, started), token in zip(start_hooks, tokens):
        try:
            started(token, ident)
        except Exception:
            _failed()


def _is_threadings(function):
    """Thread.start's own call: a Thread's bound _bootstrap."""
    return (type(function) is _MethodType and safe_values.is_subclass(type(function.__self__), _Thread)
            and type(function.__func__) is types.FunctionType and function.__func__.__name__ == "_bootstrap")


def _make(orig, joinable):
    def start(*args, **kwargs):
        # The function: the first argument, or (start_joinable_thread) the
        # keyword `function`; anything else goes on as it came, for the
        # original to refuse with its own message.
        try:
            if args and _is_threadings(args[0]):
                return orig(*args, **kwargs)
            flags = DAEMON
            if joinable:
                daemon = kwargs.get("daemon", args[2] if len(args) > 2 else True)
                if type(daemon) in (bool, int) and not daemon:
                    flags = 0
            if args:
                if callable(args[0]):
                    args = (_Run(args[0], flags),) + args[1:]
            elif joinable and callable(kwargs.get("function")):
                kwargs = dict(kwargs, function=_Run(kwargs["function"], flags))
            t0 = writer.monotonic_ns()
            tokens = _starting()
            ident = 0
            try:
                result = orig(*args, **kwargs)
                ident = getattr(result, "ident", 0) if joinable else result
            finally:
                _started(tokens, ident)
            try:
                if writer.enabled and type(ident) is int:
                    writer.point_at(events.THREAD_SPAWN, t0, writer.get_ident(), ident,
                                    sites.site(1), end=writer.monotonic_ns())
            except Exception:
                _failed()
            return result
        except BaseException as exc:
            _hide(exc)
            raise
    return start


def install():
    for name in _NAMES:
        orig = getattr(_thread, name, None)
        if orig is None or name in _originals:
            continue
        _originals[name] = orig
        new = patching.copy_identity(_make(orig, name == "start_joinable_thread"), orig)
        setattr(_thread, name, new)
        alias = _ALIASES.get(name)
        if alias is not None and threading.__dict__.get(alias) is orig:
            setattr(threading, alias, new)


def uninstall():
    for name, orig in _originals.items():
        alias = _ALIASES.get(name)
        if alias is not None and threading.__dict__.get(alias) is getattr(_thread, name, None):
            setattr(threading, alias, orig)
        setattr(_thread, name, orig)
    _originals.clear()
