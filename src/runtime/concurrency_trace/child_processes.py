"""Child processes outside multiprocessing: os.fork, os._exit, os.waitpid
/ os.wait called by the program, and subprocess.Popen (start, wait, poll).
Records and rules as in processes.py; each replaced os function is also
installed where pickle looks it up (posix._exit for os._exit).
"""
import os
import sys

from . import events, patching, safe_values, safety, sites, writer
from .processes import _FORK_WARNS, _noting_reaped, _originals, _tls, call_as, record_exit

_failed = safety.failed
_hide = safety.hide
copy_identity = patching.copy_identity


def patch_os():
    # Each replacement is also installed where pickle looks the original up
    # (posix._exit for os._exit): pickling it by reference stays the same.
    orig_exit = os._exit
    _originals["_exit"] = orig_exit

    def _exit(status):
        try:
            if writer.enabled and type(status) is int:
                record_exit(status)
        except Exception:
            _failed()
        orig_exit(status)

    patching.replace_global(os, "_exit", copy_identity(_exit, orig_exit))

    # os.waitpid / os.wait called by the user's own code (multiprocessing,
    # subprocess and asyncio reap their children themselves and are covered
    # above or not at all): a PROCESS_JOIN span once a child is reaped.
    for name in ("waitpid", "wait"):
        orig = getattr(os, name, None)
        if orig is not None:
            _originals[name] = orig
            patching.replace_global(os, name, copy_identity(_waiter(orig), orig))

    # os.execv / os.execve (os.execl*, execvp* call them through os's globals):
    # the new image starts a tracer and event file of its own for this pid
    # (the collector makes them one process); this image's main-thread span
    # ends here.  loky starts every worker with fork + execve.
    for name in ("execv", "execve"):
        orig = getattr(os, name, None)
        if orig is not None:
            _originals[name] = orig
            patching.replace_global(os, name, copy_identity(_exec(orig), orig))

    orig_fork = getattr(os, "fork", None)
    if orig_fork is None:
        return
    _originals["fork"] = orig_fork

    def fork():
        try:
            caller = sys._getframe(1)
            t0 = writer.monotonic_ns()
            if _FORK_WARNS:
                # os.fork() warns (3.12+) when threads exist, with stacklevel 1
                pid = call_as(caller, orig_fork)
            else:
                pid = orig_fork()
        except BaseException as exc:
            _hide(exc)
            raise
        if pid:
            try:
                name = caller.f_globals.get("__name__", "")
                if writer.enabled and not (type(name) is str and name.startswith("multiprocessing.")):
                    writer.point_at(events.CHILD_PROCESS, t0, writer.get_ident(), pid,
                                    sites.site(1), 0, 0)
            except Exception:
                _failed()
        return pid

    patching.replace_global(os, "fork", copy_identity(fork, orig_fork))


def _exec(orig):
    def exec_(*args, **kwargs):
        try:
            if writer.enabled:
                from . import bootstrap
                span = bootstrap.main_thread_span()
                if span:
                    writer.finish_time(span)
        except Exception:
            _failed()
        try:
            return orig(*args, **kwargs)
        except BaseException as exc:
            _hide(exc)
            raise
    return exec_


def _exit_code(status):
    """The exit code of a wait status (-N for signal N), None if the child
    only stopped."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    return None


def _waiter(orig):
    def waiter(*args, **kwargs):
        try:
            t0 = writer.monotonic_ns()
            result = orig(*args, **kwargs)
        except BaseException as exc:
            _hide(exc)
            raise
        try:
            if writer.enabled and result[0] > 0:
                caller = sys._getframe(1)
                if sites.is_user_frame(caller):
                    code = _exit_code(result[1])
                    if code is not None:
                        writer.point_at(events.PROCESS_JOIN, t0, writer.get_ident(), result[0],
                                        sites.site(1), code, 1, end=writer.monotonic_ns())
        except Exception:
            _failed()
        return result
    return waiter


def _arg_text(a):
    """One argv element as text: str, bytes and the standard library's paths
    (what Popen itself converts); any other object by its type's name."""
    t = type(a)
    if t is str:
        return a
    if t is bytes:
        return os.fsdecode(a)
    if safe_values.module_of(t).startswith("pathlib"):
        return os.fsdecode(os.fspath(a))
    return "<%s>" % safe_values.qualname_of(t)


def _argv_text(args):
    import json
    t = type(args)
    if t is list or t is tuple:
        out = [_arg_text(a) for a in args[:256]]
    else:
        out = [_arg_text(args)]
    text = json.dumps(out)
    return text if len(text) <= 4096 else text[:4096]


def patch_subprocess(mod):
    Popen = mod.Popen
    # _execute_child (not __init__, which warns about its caller's frame)
    orig_execute = Popen.__dict__.get("_execute_child")
    if orig_execute is None or patching.is_wrapped(orig_execute):
        return

    def _execute_child(self, *args, **kwargs):
        try:
            t0 = writer.monotonic_ns()
            result = orig_execute(self, *args, **kwargs)
        except BaseException as exc:
            _hide(exc)
            raise
        try:
            pid = self.__dict__.get("pid")
            if writer.enabled and type(pid) is int and pid:
                writer.point_at(events.CHILD_PROCESS, t0, writer.get_ident(), pid,
                                sites.site(1), writer.blob(_argv_text(self.__dict__.get("args"))), 0)
        except Exception:
            _failed()
        return result

    Popen._execute_child = copy_identity(_execute_child, orig_execute)

    # wait() (also behind run(), communicate(), `with Popen`) that had to
    # wait for the child: a PROCESS_JOIN span; poll() that finds the child
    # gone: PROCESS_JOIN with ts == end.
    orig_wait = Popen.wait

    def wait(self, *args, **kwargs):
        try:
            if getattr(self, "returncode", 0) is not None:
                return orig_wait(self, *args, **kwargs)
            t0 = writer.monotonic_ns()
            depth = _tls.__dict__.get("joining", 0)
            try:
                _tls.joining = depth + 1
                return orig_wait(self, *args, **kwargs)
            finally:
                _tls.joining = depth
                try:
                    pid = self.__dict__.get("pid")
                    if writer.enabled and type(pid) is int and pid:
                        code = self.returncode
                        writer.point_at(events.PROCESS_JOIN, t0, writer.get_ident(), pid,
                                        sites.site(1), code if type(code) is int else 0,
                                        1 if type(code) is int else 0, end=writer.monotonic_ns())
                except Exception:
                    _failed()
        except BaseException as exc:
            _hide(exc)
            raise

    Popen.wait = copy_identity(wait, orig_wait)
    Popen.poll = _noting_reaped(Popen.poll)
