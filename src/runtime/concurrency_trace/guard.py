"""What the tracer does when its own code fails: drop the record, never the
program's call.  Called from the tracer's except blocks."""
import _struct
import os
import sys


def tracer_failed():
    """The tracer's own failures are builtin exceptions (or struct.error) and
    are dropped; an exception of any other type was raised into this thread
    asynchronously (PyThreadState_SetAsyncExc) while tracer code ran: it
    belongs to the program and goes on."""
    e = sys.exc_info()[1]
    if e is not None and type(e).__module__ != "builtins" and not isinstance(e, _struct.error):
        raise
    if os.environ.get("CONCURRENCY_TRACE_DEBUG"):
        raise
