"""Plain Python state shared by threads: SHARED_READ / SHARED_WRITE records
of module globals, closure cells, attributes and list / dict items accessed
by the user's own code, for data-race analysis between threads.

What is recorded (events.py, "shared memory"): obj = the container (a
module's namespace "Python.globals", an object "Python.object", a list
"Python.list", a dict "Python.dict", a closure cell "Python.cell"),
announced once by an OBJECT record labelled with the name the code used;
b = the variable (2 * name blob, 2*i+1 for an int index / key, 2 * blob of
the key's repr); a = the value read or written; site = the user's line;
ident = the thread.  `x += 1` is a READ then a WRITE; `k not in d` is a
READ of d[k].

Only the user's code: code objects of files under the script's folder or
the working directory, not the standard library, not site- / dist-packages,
not this tracer.  Nothing is recorded before a second thread is started:
the first Thread.start switches recording on (a single-threaded program
pays nothing but the wrapper), before the new thread runs.

Mechanism: sys.monitoring on 3.12+ (py_state_monitoring), sys.settrace
with opcode events on 3.8-3.11 (py_state_settrace).  What each access is:
py_state_bytecode; the object it works on: py_state_paths; closure cells:
py_state_cells; reading and describing values without running user code:
py_state_values; ids: py_state_ids; the step before each access:
py_state_access, by kind of target: py_state_targets; the instructions
analysed: py_state_entries; the budget: py_state_budget; threads still to
come: py_state_arrivals.

Off switch: CONCURRENCY_TRACE_PY_STATE=0 (the launcher sets it for the
setting concurrencyTrace.detectThreadRaces = false and for
`run --no-race-detection`); CONCURRENCY_TRACE_PY_STATE=all records every
access (no budget; for measurements).
"""
import os
import sys
import threading
from _thread import get_ident as _get_ident

from . import perturb, raw_threads, sites, writer
from .patching import copy_identity

# Loaded at the first Thread.start (_load): a process that never starts a
# thread does not pay for importing dis and the rest.
access = None
arrivals = None
values = None

_mode = "on"
_mechanism = None
_active = False
_failed = False
_lock = None        # a raw lock (install())
_roots = ()
_user_files = {}     # co_filename -> bool
_user_codes = {}     # id(code) -> (code, bool)
_originals = {}


def _raw_lock():
    import _thread
    return _thread.allocate_lock()


def _load():
    """Import the recording machinery and the mechanism for this version."""
    global access, arrivals, values, _mechanism
    from . import py_state_access, py_state_arrivals, py_state_budget, py_state_targets, py_state_values
    if sys.version_info >= (3, 12):
        from . import py_state_monitoring as mechanism
    else:
        from . import py_state_settrace as mechanism
    access, arrivals, values = py_state_access, py_state_arrivals, py_state_values
    py_state_budget.UNLIMITED = _mode == "all"
    py_state_targets.is_user_globals = _is_user_globals
    values._user_module_check = _user_module_name
    if perturb.enabled:
        _perturb(mechanism)
    _mechanism = mechanism


def _perturb(mechanism):
    """Schedule perturbation (run --perturb): a point before every access
    the mechanism reports, and every access keeps reporting (no instruction
    or frame goes quiet over budget: records stay within the budget, the
    pauses go on)."""
    from . import py_state_budget
    mechanism._step = perturb.around_step(access.step)
    py_state_budget.SWITCH_OFF = False
    if hasattr(mechanism, "SATURATED_RUN"):
        mechanism.SATURATED_RUN = sys.maxsize


def _compute_roots():
    roots = set()
    main = sys.modules.get("__main__")
    path = None
    if main is not None:
        path = dict.get(values.module_dict(main), "__file__")
    if type(path) is not str or not path:
        argv0 = sys.argv[0] if getattr(sys, "argv", None) else ""
        path = argv0 if argv0 not in ("", "-c", "-") else None
    if path:
        roots.add(os.path.realpath(os.path.dirname(os.path.abspath(path))))
    try:
        roots.add(os.path.realpath(os.getcwd()))
    except OSError:
        pass
    return tuple(r.rstrip(os.sep) + os.sep for r in roots)


def _inline_main():
    argv0 = sys.argv[0] if getattr(sys, "argv", None) else ""
    return argv0 in ("", "-c", "-")


def _user_file(filename):
    known = _user_files.get(filename)
    if known is not None:
        return known
    if filename.startswith("<"):
        user = filename in ("<string>", "<stdin>") and _inline_main()
    else:
        path = os.path.realpath(os.path.abspath(filename))
        user = (path.startswith(_roots) and "site-packages" not in path
                and "dist-packages" not in path)
    _user_files[filename] = user
    return user


def wants(code):
    """Whether a code object is the user's (recorded)."""
    known = _user_codes.get(id(code))
    if known is not None:
        return known[1]
    user = False
    try:
        user = _user_file(code.co_filename) and sites._user_code(code)
    except Exception:
        user = False
    _user_codes[id(code)] = (code, user)
    return user


def _is_user_globals(g):
    name = dict.get(g, "__name__")
    if name == "__main__":
        return True
    f = dict.get(g, "__file__")
    return type(f) is str and _user_file(f)


def _user_module_name(name):
    mod = sys.modules.get(name)
    if mod is None:
        return name == "__main__"
    try:
        return _is_user_globals(values.module_dict(mod))
    except Exception:
        return False


def activate():
    """Start recording (the first Thread.start of the process)."""
    global _active, _roots, _failed
    if _active or _failed or not writer.enabled:
        return
    with _lock:
        if _active or _failed:
            return
        try:
            if _mechanism is None:
                _load()
            _roots = _compute_roots()
            _user_files.clear()
            _user_codes.clear()
            _active = bool(_mechanism.activate(wants))
            if not _active:
                _failed = True
            elif not _atexit_registered:
                # Off before interpreter shutdown clears module globals: our callbacks
                # must not run (and fail) in code that runs then (weakref callbacks,
                # __del__, the unraisable hook).
                _register_atexit()
        except Exception:
            _failed = True
            _active = False
            try:
                _mechanism.deactivate()
            except Exception:
                pass
            if os.environ.get("CONCURRENCY_TRACE_DEBUG"):
                raise


_atexit_registered = False


def _register_atexit():
    global _atexit_registered
    import atexit
    atexit.register(deactivate)
    _atexit_registered = True


def deactivate():
    global _active
    with _lock:
        if not _active:
            return
        _active = False
        try:
            _mechanism.deactivate()
        except Exception:
            if os.environ.get("CONCURRENCY_TRACE_DEBUG"):
                raise


def install():
    global _mode, _mechanism, _lock
    mode = os.environ.get("CONCURRENCY_TRACE_PY_STATE", "").strip().lower()
    if mode in ("0", "off", "false", "no"):
        _mode = "off"
        return
    _mode = "all" if mode == "all" else "on"
    _lock = _raw_lock()

    Thread = threading.Thread
    orig_start = Thread.start

    def start(self):
        noted = _starting()
        ident = 0
        try:
            result = orig_start(self)
            ident = self._ident
        except BaseException as exc:
            # RuntimeError (started twice, can't start new thread): printed
            # as it is untraced.
            from .shared import hide_own_frames
            hide_own_frames(exc)
            raise
        finally:
            _started(noted, ident)
        if perturb.enabled:
            # The new thread may get ahead of the one that started it.
            perturb.point()
        return result

    copy_identity(start, orig_start)
    _originals["start"] = orig_start
    Thread.start = start
    from . import threads
    if threads.hooked[0]:
        threads.thread_hooks.append(_thread_begins_or_ends)
        _originals["hook"] = threads
    else:
        # The threads area is not installed: a wrapper of our own.
        orig_inner = Thread._bootstrap_inner

        def _bootstrap_inner(self):
            _thread_begins_or_ends(True)
            try:
                return orig_inner(self)
            finally:
                _thread_begins_or_ends(False)

        copy_identity(_bootstrap_inner, orig_inner)
        _originals["_bootstrap_inner"] = orig_inner
        Thread._bootstrap_inner = _bootstrap_inner
    # Threads of _thread.start_new_thread / start_joinable_thread: the same.
    raw_threads.thread_hooks.append(_thread_begins_or_ends)
    raw_threads.start_hooks.append(_RAW_START_HOOKS)
    raw_threads.install()


def _starting():
    """Before a thread is started (Thread.start, raw_threads): recording
    switched on at the first; returns whether the arrival is noted."""
    if _active:
        # A new thread (perhaps with a dead one's ident): every variable
        # gets a fresh budget, switched-off instructions report again.
        access.new_epoch()
    elif not _failed:
        activate()
    noted = _active
    if noted:
        arrivals.thread_starting()
    return noted


def _started(noted, ident):
    """After the start (or its failure: ident 0)."""
    if noted:
        arrivals.thread_started(ident)


def _raw_started(noted, ident):
    _started(noted, ident)
    if ident and perturb.enabled:
        perturb.point()


_RAW_START_HOOKS = (_starting, _raw_started)


def _thread_begins_or_ends(begins):
    """In a thread, before it runs (begins) and after: what is kept per
    ident (budgets, over-budget marks, a write waiting for its value, quiet
    frames) was a thread's that ended, or is this one's that is ending: a
    thread that gets the ident of one that ended starts afresh
    (py_state_budget.forget_thread).  On 3.8-3.11 a new thread also gets our
    tracer (settrace is per thread)."""
    if not _active:
        return
    try:
        ident = _get_ident()
        access.forget_thread(ident)
        _mechanism.forget_thread(ident)
        if begins:
            _mechanism.thread_hook()
    except Exception:
        pass


def after_fork_in_child():
    """The child has one thread: stop until it starts another; ids, sites
    and blobs are the child's own."""
    global _lock, _failed
    _lock = _raw_lock() if _mode != "off" else None
    if _mechanism is None:
        return
    was = _active
    if was:
        deactivate()
    access.reset()
    _failed = False


def uninstall():
    deactivate()
    Thread = threading.Thread
    threads = _originals.pop("hook", None)
    if threads is not None and _thread_begins_or_ends in threads.thread_hooks:
        threads.thread_hooks.remove(_thread_begins_or_ends)
    for name, orig in _originals.items():
        setattr(Thread, name, orig)
    _originals.clear()
    if _thread_begins_or_ends in raw_threads.thread_hooks:
        raw_threads.thread_hooks.remove(_thread_begins_or_ends)
    if _RAW_START_HOOKS in raw_threads.start_hooks:
        raw_threads.start_hooks.remove(_RAW_START_HOOKS)
