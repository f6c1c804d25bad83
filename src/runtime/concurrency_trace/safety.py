"""Exceptions inside the tracer's wrappers: whose they are, and tracebacks
that look as if the wrapper were not there.

The rule every wrapper follows: the real operation runs once, with the
program's arguments; the tracer's bookkeeping before and after it is inside
`try: ... except Exception: failed()`.  failed() drops the tracer's own
failures and re-raises the program's exceptions, which can arrive at any
bytecode: an exception raised by a signal handler (Ctrl-C's
KeyboardInterrupt is not an Exception and is never caught there), one
raised into the thread by PyThreadState_SetAsyncExc, and RecursionError
near the recursion limit.  A wrapper whose operation has an effect the
program must be able to undo (a lock acquired in __enter__) undoes it in
its own `except BaseException:` before the exception goes on.

A wrapper re-raises with hide(exc) then a bare `raise`: the traceback is
the one the program would get untraced, without this package's frames.

Near the recursion limit even calling failed() fails, so the hot wrappers
catch RecursionError first, in a clause that calls nothing:
    except RecursionError:
        if KEEP_RECURSION_ERRORS: raise      # 3.8
    except Exception:
        failed()
and then run the real operation untraced: the program reaches the limit
where it would untraced, plus the wrapper's own frame.
"""
import os
import sys

_PKG_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _library_roots():
    roots = set()
    for base in (os.path.dirname(os.__file__), os.path.join(sys.prefix, "lib"),
                 os.path.join(sys.base_prefix, "lib"), os.path.join(sys.exec_prefix, "lib")):
        roots.add(base + os.sep)
        roots.add(os.path.realpath(base) + os.sep)
    return tuple(roots)


_LIBRARY = _library_roots()


def _is_user(frame):
    """A frame of the program's own code (not the tracer's, not the
    standard library's), from its file name alone: this runs while an
    exception is being handled, and os.path.realpath (sites' test) would
    itself catch an OSError, a signal handler's TimeoutError included."""
    name = frame.f_code.co_filename
    if name.startswith("<"):
        return name in ("<stdin>", "<string>")
    if name.startswith(_PKG_DIR):
        return False
    if "site-packages" in name or "dist-packages" in name:
        return True
    return not name.startswith(_LIBRARY)
_exc_info = sys.exc_info
_DEBUG = bool(os.environ.get("CONCURRENCY_TRACE_DEBUG"))
# 3.8: after one RecursionError the interpreter allows 50 more levels and then
# aborts ("Cannot recover from stack overflow") until the depth falls 50 below
# the limit: a RecursionError must never be swallowed there.  From 3.9 every
# call past the limit raises again, so one raised in the tracer's own helpers
# (deeper than the program would have gone) is the tracer's to drop.
_KEEP_RECURSION_ERRORS = KEEP_RECURSION_ERRORS = sys.version_info < (3, 9)
_BARE_RAISE_USES_ATTR = sys.version_info >= (3, 11)
_type_module = type.__dict__["__module__"].__get__
# co_name of the one-line trampolines that call an original from the
# caller's file and line (processes.call_as): tracer frames too.
TRAMPOLINE_NAME = "<concurrency-trace>"


def failed():
    """Called in the tracer's `except Exception:` around its bookkeeping:
    returns (the record is dropped) for the tracer's own failures, re-raises
    an exception that belongs to the program."""
    e = _exc_info()[1]
    if _DEBUG or (e is not None and _is_programs(e)):
        raise


def _is_programs(e):
    t = type(e)
    if t is RecursionError:
        return _KEEP_RECURSION_ERRORS
    module = _type_module(t)    # (an exception here is the program's too: it goes on)
    if module != "builtins" and module != "struct" and module != "_struct":
        return True     # a program's class, raised by a signal handler or SetAsyncExc
    # A builtin one (TimeoutError, OSError...) raised by a signal handler that
    # ran inside the tracer's code has the handler's frame in its traceback.
    tb = e.__traceback__
    while tb is not None:
        if _is_user(tb.tb_frame):
            return True
        tb = tb.tb_next
    return False


# --------------------------------------------------------------------------
# Tracebacks

def _exc_info_setter():
    """3.8-3.10: a bare `raise` re-raises the thread's handled-exception
    triple, whose traceback still starts with the wrapper's frame; the C API
    PyErr_SetExcInfo sets it (it steals the three references: each is
    increfed first).  Built from _ctypes alone (0.5 ms, where ctypes takes
    2 ms or more) when the tracer starts: an import in the middle of an
    exception, with a signal handler raising meanwhile, might never finish.
    None where _ctypes is missing: the wrapper's own frame then stays in the
    traceback (only the frames after it are dropped)."""
    try:
        import _ctypes
    except ImportError:
        return None

    class py_object(_ctypes._SimpleCData):
        _type_ = "O"

    class PythonApi(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_PYTHONAPI
        _restype_ = None

    class Process(object):
        _handle = _ctypes.dlopen(None, getattr(_ctypes, "RTLD_LOCAL", 0))

    setter = PythonApi(("PyErr_SetExcInfo", Process))
    setter.argtypes = (py_object, py_object, py_object)
    incref = PythonApi(("Py_IncRef", Process))
    incref.argtypes = (py_object,)

    def set_exc_info(t, v, tb):
        incref(t)
        incref(v)
        incref(tb)
        setter(t, v, tb)
    return set_exc_info


_set_exc_info = None
if not _BARE_RAISE_USES_ATTR:
    try:
        _set_exc_info = _exc_info_setter()
    except Exception:
        _set_exc_info = None


def hide(exc):
    """In a wrapper's `except BaseException as exc:` just before a bare
    `raise`: drop this package's frames from the head of the traceback, so
    the exception prints as it does untraced (an exception raised by a C
    function the wrapper called has no frame of its own: its traceback
    becomes empty, and the caller's frame is the first, as untraced).
    Never raises an exception of its own."""
    try:
        head = tb = exc.__traceback__
        while tb is not None and (tb.tb_frame.f_code.co_filename.startswith(_PKG_DIR)
                                  or tb.tb_frame.f_code.co_name == TRAMPOLINE_NAME):
            tb = tb.tb_next
        if tb is head:
            return
        if not _BARE_RAISE_USES_ATTR:
            if _set_exc_info is None:
                head.tb_next = tb       # the wrapper's frame stays; the rest goes
                return
            t, v, _ = _exc_info()
            if v is exc:
                _set_exc_info(t, v, tb)
        exc.__traceback__ = tb
    except Exception:
        failed()        # a program's exception arriving here goes on (instead of exc)
