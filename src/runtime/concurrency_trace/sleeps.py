"""time.sleep as a SLEEP span.

time.sleep is a C function: the `time` module attribute is replaced by a
Python function that calls the original with the very same argument, so
results, exceptions (negative / NaN -> ValueError, wrong type -> TypeError,
keyword -> TypeError) and interruption (PEP 475 retry; an exception from a
signal handler propagates) are the original's, and so is the traceback
(this wrapper's frame is cut from it: safety.hide).

Only the user's sleeps are recorded: the standard library sleeps for its own
polling (subprocess.Popen.wait with a timeout, multiprocessing.pool's
shutdown, pydoc, the REPL), which is noise.  The caller's code object decides
(cached per code object): user code records; so do the stdlib frames that
only call a user-supplied callable (Thread.run, executor work items, Pool
workers, Process.run, loop callbacks), so `Thread(target=time.sleep)` and
`pool.map(time.sleep, ...)` count; any other stdlib caller goes straight to
the original.  Modules that did `from time import sleep` before
the tracer started keep the original (no user module runs that early).
Pickling time.sleep (by reference) still works: the wrapper carries the
original's __module__ and __qualname__.
"""
import sys
import time

from . import events, patching, safety, sites, writer

_SLEEP = events.SLEEP
_getframe = sys._getframe
_is_user = sites.is_user_frame
_by_code = {}   # id(caller's code) -> (code, record?): id-keyed, hashing a code is slow
# (file name, function) of stdlib frames that call a callable they were given.
_DISPATCHERS = {
    ("threading.py", "run"),                 # Thread.run
    ("thread.py", "run"),                    # concurrent.futures.thread._WorkItem.run
    ("process.py", "run"),                   # multiprocessing BaseProcess.run
    ("process.py", "_process_worker"),       # concurrent.futures.process
    ("process.py", "_process_chunk"),
    ("pool.py", "worker"),                   # multiprocessing.pool
    ("pool.py", "mapstar"),
    ("pool.py", "starmapstar"),
    ("events.py", "_run"),                   # asyncio Handle._run (call_soon)
}
_INT64 = 9.2e18
_KEEP_RECURSION = safety.KEEP_RECURSION_ERRORS
_original = None


def _decide(frame):
    import os
    code = frame.f_code
    record = _is_user(frame) or (os.path.basename(code.co_filename), code.co_name) in _DISPATCHERS
    if len(_by_code) > 10000:      # code made at run time (exec) in a loop: start over
        _by_code.clear()
    _by_code[id(code)] = (code, record)
    return record


def install():
    global _original
    orig = time.sleep
    if getattr(orig, "_ct_wrapper", False):
        return
    _original = orig
    hide = safety.hide

    def sleep(*args, **kwargs):
        try:
            off = 0
            if len(args) == 1 and not kwargs:
                try:            # module globals are None in late shutdown: inside try
                    f = _getframe(1) if writer.enabled else None
                    hit = f is not None and _by_code.get(id(f.f_code))
                    record = hit[1] if hit and hit[0] is f.f_code else (f is not None and _decide(f))
                    if record:
                        secs = args[0]
                        t = type(secs)
                        if t is float:
                            ns = secs * 1e9
                            a = int(ns) if -_INT64 < ns < _INT64 else -1   # False for NaN
                        elif t is int:
                            a = secs * 1000000000 if -9200000000 < secs < 9200000000 else -1
                        else:
                            a = -1
                        off = writer.begin(_SLEEP, 0, sites.site(1), a)
                except RecursionError:
                    off = 0
                    if _KEEP_RECURSION:
                        raise
                except Exception:
                    off = 0
                    safety.failed()
            if not off:
                return orig(*args, **kwargs)
            try:
                result = orig(*args)
            except BaseException:
                try:
                    writer.finish(off, a, 1)
                except Exception:
                    safety.failed()
                raise
            try:
                writer.finish_time(off)
            except RecursionError:
                if _KEEP_RECURSION:
                    raise
            except Exception:
                safety.failed()
            return result
        except BaseException as exc:
            hide(exc)
            raise

    patching.copy_identity(sleep, orig)
    sleep._ct_wrapper = True
    time.sleep = sleep


def uninstall():
    if _original is not None:
        time.sleep = _original
