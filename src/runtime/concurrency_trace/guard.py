"""What the tracer does when its own code fails: drop the record, never the
program's call.  Called from the tracer's except blocks.

An exception caught there is the program's, and goes on, when
- its type is not a builtin one (nor struct.error): it was raised into this
  thread asynchronously (PyThreadState_SetAsyncExc) while tracer code ran; or
- any frame it went through is the program's code: a signal handler that ran
  between two bytecodes of tracer code raised it (`raise TimeoutError` from a
  SIGALRM handler is a builtin type, and must still reach the program).
Everything else is the tracer's own failure: dropped (raised under
CONCURRENCY_TRACE_DEBUG).

Module globals are None during late interpreter shutdown: what the check
needs is bound as default arguments.
"""
import _struct
import os
import sys


def _program_frames(tb, user_code):
    while tb is not None:
        if user_code(tb.tb_frame.f_code):
            return True
        tb = tb.tb_next
    return False


def _user_code(code):
    from . import sites     # not at import: sites imports the writer, the writer imports nothing of ours
    return sites.is_user_code(code)


def raised_by_program(e, _struct_error=_struct.error, _frames=_program_frames, _user=_user_code):
    """Whether exception e belongs to the program rather than to tracer code."""
    if type(e).__module__ != "builtins" and not isinstance(e, _struct_error):
        return True
    try:
        return _frames(e.__traceback__, _user)
    except Exception:
        return False


def tracer_failed(_exc_info=sys.exc_info, _env=os.environ, _by_program=raised_by_program):
    """In an except block of tracer code: re-raise the exception if it is the
    program's (or under CONCURRENCY_TRACE_DEBUG), else drop it."""
    e = _exc_info()[1]
    if e is not None and _by_program(e):
        raise
    if _env.get("CONCURRENCY_TRACE_DEBUG"):
        raise
