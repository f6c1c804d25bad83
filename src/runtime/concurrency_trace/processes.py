"""Processes: multiprocessing Process start / join / terminate / kill and the
child's own view (name, logical parent, exit code), os.fork / os._exit /
os.waitpid, and subprocess.Popen (start, wait, poll).

multiprocessing is patched when it is first imported (a post-import hook: a
program that never uses it never pays for importing it), on the classes
themselves so Process subclasses with their own run() inherit the tracing.
Every original is called with the same arguments and its result returned
unchanged; tracer work is wrapped in try/except.

Nothing here creates a thread or installs a signal handler: events are in
the mmap'd log the moment they are written, so a SIGKILLed child keeps them.

Exit codes: every start method ends in BaseProcess._bootstrap, whose return
value is the child's exit code; fork and forkserver children then leave
through os._exit(code), spawn children through sys.exit(code).  PROCESS_EXIT
is written once, when _bootstrap returns (the process's own work is over;
only finalizers / atexit remain), and by os._exit(n) if no exit with that
code was recorded yet (a plain os.fork child).
"""
import os
import sys
import threading
import types

from .import_hooks import after_import
from . import bootstrap, events, sites, writer

# Key added to a multiprocessing child's Process._config (a dict every child
# already receives, pickled with the Process object under spawn/forkserver
# and inherited under fork; its other keys are authkey, daemon, semprefix,
# tempdir) when the process is started by a pool or executor: the owner's
# object id.  ProcessPoolExecutor workers read it to name their tasks.
OWNER_CONFIG_KEY = "concurrency_trace.owner"

# PROCESS_NAME flags
DAEMON = 1
INTERNAL = 2        # forkserver, resource tracker: plumbing, grouped away
MANAGER = 4         # a Manager's server process: hosts the user's shared objects, shown

# pools.py sets spawn_owner.id (an object id) around the code of a pool or
# executor that starts its workers; Process.start reads it.
spawn_owner = threading.local()

_FORK_WARNS = sys.version_info >= (3, 12)   # os.fork() warns when threads exist
_exit_code_recorded = None
_is_helper = False
_originals = {}
_tls = threading.local()                  # .joining: inside Process.join / Popen.wait


# Post-import hooks: import_hooks.after_import (pools uses it as when_imported).
when_imported = after_import


_TRAMPOLINE = (lambda f, a, k: f(*a, **k)).__code__


def call_as(frame, fn, args=(), kwargs=None):
    """fn(*args, **kwargs) called from a one-line function that has `frame`'s
    file, line and globals: a warning that fn issues about its caller
    (stacklevel=2, or os.fork()'s stacklevel=1 warning) is attributed and
    filtered exactly as if the tracer's wrapper were not between them."""
    try:
        code = _TRAMPOLINE.replace(co_filename=frame.f_code.co_filename,
                                   co_firstlineno=frame.f_lineno or 1)
        call = types.FunctionType(code, frame.f_globals)
    except Exception:
        return fn(*args, **(kwargs or {}))
    return call(fn, args, kwargs or {})


def copy_identity(fn, orig):
    """Make a replacement look like the original (name, pickling by
    reference, inspect.signature via __wrapped__)."""
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(fn, attr, getattr(orig, attr))
        except (AttributeError, TypeError):
            pass
    fn.__wrapped__ = orig
    return fn


# --- install -----------------------------------------------------------------

def install():
    _patch_os()
    when_imported("multiprocessing.process", _patch_process)
    when_imported("multiprocessing.popen_fork", _patch_popen_poll)
    when_imported("multiprocessing.popen_forkserver", _patch_popen_poll)
    when_imported("multiprocessing.popen_spawn_win32", _patch_popen_wait)
    when_imported("multiprocessing.forkserver", _patch_helper_main("forkserver"))
    when_imported("multiprocessing.resource_tracker", _patch_helper_main("resource_tracker"))
    when_imported("subprocess", _patch_subprocess)


def after_fork_in_child():
    global _exit_code_recorded, _is_helper
    _exit_code_recorded = None
    _is_helper = False
    spawn_owner.__dict__.clear()
    _tls.__dict__.clear()


def _owner():
    return spawn_owner.__dict__.get("id", 0)


# --- os.fork / os._exit --------------------------------------------------------

def _patch_os():
    orig_exit = os._exit
    _originals["_exit"] = orig_exit

    def _exit(status):
        try:
            if writer.enabled:
                record_exit(int(status))
        except Exception:
            pass
        orig_exit(status)

    os._exit = copy_identity(_exit, orig_exit)

    # os.waitpid / os.wait called by the user's own code (multiprocessing,
    # subprocess and asyncio reap their children themselves and are covered
    # above or not at all): a PROCESS_JOIN span once a child is reaped.
    for name in ("waitpid", "wait"):
        orig = getattr(os, name, None)
        if orig is not None:
            _originals[name] = orig
            setattr(os, name, copy_identity(_waiter(orig), orig))

    orig_fork = getattr(os, "fork", None)
    if orig_fork is None:
        return
    _originals["fork"] = orig_fork

    def fork():
        caller = sys._getframe(1)
        t0 = writer.monotonic_ns()
        if _FORK_WARNS:
            # os.fork() warns (3.12+) when threads exist, with stacklevel 1
            pid = call_as(caller, orig_fork)
        else:
            pid = orig_fork()
        if pid:
            try:
                if writer.enabled and not str(caller.f_globals.get("__name__", "")).startswith("multiprocessing."):
                    writer.point_at(events.CHILD_PROCESS, t0, writer.get_ident(), pid,
                                    sites.site(1), 0, 0)
            except Exception:
                pass
        return pid

    os.fork = copy_identity(fork, orig_fork)


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
        t0 = writer.monotonic_ns()
        result = orig(*args, **kwargs)
        try:
            if writer.enabled and result[0] > 0:
                caller = sys._getframe(1)
                if sites.is_user_frame(caller):
                    code = _exit_code(result[1])
                    if code is not None:
                        writer.point_at(events.PROCESS_JOIN, t0, writer.get_ident(), result[0],
                                        sites.site(1), code, 1, end=writer.monotonic_ns())
        except Exception:
            pass
        return result
    return waiter


def record_exit(code):
    """PROCESS_EXIT with a known code, once per code."""
    global _exit_code_recorded
    if _exit_code_recorded == code:
        return
    _exit_code_recorded = code
    bootstrap.record_exit(code)


# --- multiprocessing.process -----------------------------------------------------

def _pid_of(process):
    popen = getattr(process, "_popen", None)
    return getattr(popen, "pid", 0) or 0


def _patch_process(mod):
    BaseProcess = mod.BaseProcess
    if "start" in _originals:
        return
    orig_start = BaseProcess.start
    orig_join = BaseProcess.join
    orig_terminate = BaseProcess.terminate
    orig_kill = getattr(BaseProcess, "kill", None)
    orig_interrupt = getattr(BaseProcess, "interrupt", None)
    orig_bootstrap = BaseProcess._bootstrap
    name_prop = BaseProcess.__dict__.get("name")
    _originals.update(start=orig_start, join=orig_join, terminate=orig_terminate,
                      kill=orig_kill, interrupt=orig_interrupt, _bootstrap=orig_bootstrap,
                      name=name_prop)
    import signal
    SIGTERM = int(signal.SIGTERM)
    SIGKILL = int(getattr(signal, "SIGKILL", SIGTERM))
    SIGINT = int(signal.SIGINT)

    def start(self):
        t0 = writer.monotonic_ns()
        owner = 0
        try:
            owner = _owner()
            if owner:
                self._config[OWNER_CONFIG_KEY] = owner
        except Exception:
            pass
        result = orig_start(self)
        try:
            if writer.enabled:
                writer.point_at(events.PROCESS_SPAWN, t0, writer.get_ident(), _pid_of(self),
                                sites.site(1), owner, 0, end=writer.monotonic_ns())
        except Exception:
            pass
        return result

    def join(self, timeout=None):
        t0 = writer.monotonic_ns()
        depth = _tls.__dict__.get("joining", 0)
        _tls.joining = depth + 1
        try:
            result = orig_join(self, timeout)
        finally:
            _tls.joining = depth
        try:
            if writer.enabled:
                popen = self._popen
                code = getattr(popen, "returncode", None)
                writer.point_at(events.PROCESS_JOIN, t0, writer.get_ident(), getattr(popen, "pid", 0) or 0,
                                sites.site(1), code if code is not None else 0,
                                1 if code is not None else 0, end=writer.monotonic_ns())
        except Exception:
            pass
        return result

    def _signaller(orig, signum):
        def send(self):
            try:
                if writer.enabled and self._popen is not None and self._popen.returncode is None:
                    writer.point(events.PROCESS_TERMINATE, _pid_of(self), sites.site(1), signum)
            except Exception:
                pass
            return orig(self)
        return copy_identity(send, orig)

    def _bootstrap(self, *args, **kwargs):
        try:
            if writer.enabled:
                _announce_child(self)
        except Exception:
            pass
        code = orig_bootstrap(self, *args, **kwargs)
        try:
            if writer.enabled:
                record_exit(code)
        except Exception:
            pass
        return code

    BaseProcess.start = copy_identity(start, orig_start)
    BaseProcess.join = copy_identity(join, orig_join)
    BaseProcess.terminate = _signaller(orig_terminate, SIGTERM)
    if orig_kill is not None:
        BaseProcess.kill = _signaller(orig_kill, SIGKILL)
    if orig_interrupt is not None:
        BaseProcess.interrupt = _signaller(orig_interrupt, SIGINT)
    BaseProcess._bootstrap = copy_identity(_bootstrap, orig_bootstrap)

    if isinstance(name_prop, property) and name_prop.fset is not None:
        def _set_name(self, value):
            name_prop.fset(self, value)
            try:
                if (writer.enabled and self is mod._current_process
                        and sites.is_user_frame(sys._getframe(1))):
                    writer.point(events.PROCESS_NAME, writer.pid(), 0,
                                 writer.intern(str(self._name)), _flags(self))
            except Exception:
                pass
        BaseProcess.name = property(name_prop.fget, _set_name, name_prop.fdel, name_prop.__doc__)


def _flags(process):
    if _is_helper:
        return INTERNAL
    flags = DAEMON if process.daemon else 0
    target = getattr(process, "_target", None)
    if target is not None:
        func = getattr(target, "__func__", target)
        if (getattr(func, "__module__", None) == "multiprocessing.managers"
                and getattr(func, "__name__", None) == "_run_server"):
            flags |= MANAGER
    return flags


def _announce_child(process):
    """In the child, as _bootstrap begins: its name and its logical parent."""
    pid = writer.pid()
    writer.point(events.PROCESS_NAME, pid, 0, writer.intern(str(process.name)), _flags(process))
    parent = getattr(process, "_parent_pid", None)
    if parent:
        writer.point(events.PROCESS_PARENT, pid, 0, int(parent))


# --- the parent learning an exit code ------------------------------------------

def _reaped(popen):
    """PROCESS_JOIN with ts == end when the parent first learns a child's exit
    code outside Process.join (is_alive(), exitcode, a Pool reaping workers)."""
    try:
        if writer.enabled and not _tls.__dict__.get("joining"):
            code = popen.returncode
            now = writer.monotonic_ns()
            writer.point_at(events.PROCESS_JOIN, now, writer.get_ident(), popen.pid or 0,
                            sites.site(1), code, 1, end=now)
    except Exception:
        pass


def _patch_popen_poll(mod):
    Popen = mod.Popen
    orig = Popen.__dict__.get("poll")
    if orig is None or getattr(orig, "__wrapped__", None) is not None:
        return

    def poll(self, *args, **kwargs):
        before = getattr(self, "returncode", 0)
        result = orig(self, *args, **kwargs)
        if before is None and getattr(self, "returncode", None) is not None:
            _reaped(self)
        return result
    Popen.poll = copy_identity(poll, orig)


def _patch_popen_wait(mod):
    Popen = mod.Popen
    orig = Popen.__dict__.get("wait")
    if orig is None or getattr(orig, "__wrapped__", None) is not None:
        return

    def wait(self, *args, **kwargs):
        before = getattr(self, "returncode", 0)
        result = orig(self, *args, **kwargs)
        if before is None and getattr(self, "returncode", None) is not None:
            _reaped(self)
        return result
    Popen.wait = copy_identity(wait, orig)


# --- helper processes ------------------------------------------------------------

def _patch_helper_main(label):
    def patch(mod):
        orig = getattr(mod, "main", None)
        if orig is None or getattr(orig, "__wrapped__", None) is not None:
            return

        def main(*args, **kwargs):
            global _is_helper
            try:
                if writer.enabled:
                    _is_helper = True
                    writer.point(events.PROCESS_NAME, writer.pid(), 0, writer.intern(label), INTERNAL)
            except Exception:
                pass
            return orig(*args, **kwargs)
        mod.main = copy_identity(main, orig)
    return patch


# --- subprocess ------------------------------------------------------------------

def _argv_text(args):
    import json
    if isinstance(args, (str, bytes)) or not hasattr(args, "__iter__"):
        args = [args]
    out = []
    for a in args:
        if isinstance(a, (bytes, os.PathLike)):
            a = os.fsdecode(a)
        out.append(str(a))
    text = json.dumps(out)
    return text if len(text) <= 4096 else text[:4096]


def _patch_subprocess(mod):
    Popen = mod.Popen
    # _execute_child (not __init__, which warns about its caller's frame)
    orig_execute = Popen.__dict__.get("_execute_child")
    if orig_execute is None or getattr(orig_execute, "__wrapped__", None) is not None:
        return

    def _execute_child(self, *args, **kwargs):
        t0 = writer.monotonic_ns()
        result = orig_execute(self, *args, **kwargs)
        try:
            if writer.enabled and getattr(self, "pid", None):
                writer.point_at(events.CHILD_PROCESS, t0, writer.get_ident(), self.pid,
                                sites.site(1), writer.blob(_argv_text(self.args)), 0)
        except Exception:
            pass
        return result

    Popen._execute_child = copy_identity(_execute_child, orig_execute)

    # wait() (also behind run(), communicate(), `with Popen`) that had to
    # wait for the child: a PROCESS_JOIN span; poll() that finds the child
    # gone: PROCESS_JOIN with ts == end.
    orig_wait = Popen.wait

    def wait(self, *args, **kwargs):
        if getattr(self, "returncode", 0) is not None:
            return orig_wait(self, *args, **kwargs)
        t0 = writer.monotonic_ns()
        depth = _tls.__dict__.get("joining", 0)
        _tls.joining = depth + 1
        try:
            return orig_wait(self, *args, **kwargs)
        finally:
            _tls.joining = depth
            try:
                if writer.enabled and getattr(self, "pid", None):
                    code = self.returncode
                    writer.point_at(events.PROCESS_JOIN, t0, writer.get_ident(), self.pid,
                                    sites.site(1), code if code is not None else 0,
                                    1 if code is not None else 0, end=writer.monotonic_ns())
            except Exception:
                pass

    orig_poll = Popen.poll

    def poll(self, *args, **kwargs):
        before = getattr(self, "returncode", 0)
        result = orig_poll(self, *args, **kwargs)
        if before is None and getattr(self, "returncode", None) is not None:
            _reaped(self)
        return result

    Popen.wait = copy_identity(wait, orig_wait)
    Popen.poll = copy_identity(poll, orig_poll)
