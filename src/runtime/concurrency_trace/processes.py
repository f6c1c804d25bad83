"""Processes: multiprocessing Process start / join / terminate / kill and the
child's own view (name, logical parent, exit code), os.fork / os._exit /
os.waitpid and subprocess.Popen: child_processes.

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
import sys
import threading
import types

from .import_hooks import after_import
from . import bootstrap, events, patching, safety, sites, writer
from .threads import target_key

_failed = safety.failed
_hide = safety.hide

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


_TRAMPOLINE = (lambda f, a, k: f(*a, **k)).__code__.replace(co_name=safety.TRAMPOLINE_NAME)


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
        _failed()
        return fn(*args, **(kwargs or {}))
    return call(fn, args, kwargs or {})


copy_identity = patching.copy_identity


# --- install -----------------------------------------------------------------

def install():
    from . import child_processes
    child_processes.patch_os()
    when_imported("multiprocessing.process", _patch_process)
    when_imported("multiprocessing.popen_fork", _patch_popen_poll)
    when_imported("multiprocessing.popen_forkserver", _patch_popen_poll)
    when_imported("multiprocessing.popen_spawn_win32", _patch_popen_wait)
    when_imported("multiprocessing.forkserver", _patch_helper_main("forkserver"))
    when_imported("multiprocessing.resource_tracker", _patch_helper_main("resource_tracker"))
    when_imported("subprocess", child_processes.patch_subprocess)


def after_fork_in_child():
    global _exit_code_recorded, _is_helper
    _exit_code_recorded = None
    _is_helper = False
    spawn_owner.__dict__.clear()
    _tls.__dict__.clear()


def _owner():
    return spawn_owner.__dict__.get("id", 0)


def with_owner(owner, call, *args, **kwargs):
    """call(*args, **kwargs) with the processes it starts owned by `owner`
    (a pool / executor object id)."""
    previous = spawn_owner.__dict__.get("id", 0)
    try:
        spawn_owner.id = owner
        return call(*args, **kwargs)
    finally:
        spawn_owner.id = previous


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
        try:
            t0 = writer.monotonic_ns()
            owner = 0
            try:
                owner = _owner()
                if owner:
                    self._config[OWNER_CONFIG_KEY] = owner
            except Exception:
                _failed()
            try:
                return orig_start(self)
            finally:
                # Also when start() raised after the child was created: the
                # child exists, and its parent's record is all the trace may
                # ever have of it (killed before its tracer wrote anything).
                try:
                    pid = _pid_of(self)
                    if writer.enabled and pid:
                        writer.point_at(events.PROCESS_SPAWN, t0, writer.get_ident(), pid,
                                        sites.site(1), owner, writer.intern(_process_name(self)),
                                        end=writer.monotonic_ns())
                except Exception:
                    _failed()
        except BaseException as exc:
            _hide(exc)
            raise

    def join(self, timeout=None):
        try:
            t0 = writer.monotonic_ns()
            depth = _tls.__dict__.get("joining", 0)
            try:
                _tls.joining = depth + 1
                return orig_join(self, timeout)
            finally:
                # Also when join raised (Ctrl-C): the wait is over.
                _tls.joining = depth
                try:
                    if writer.enabled:
                        popen = self._popen
                        code = getattr(popen, "returncode", None)
                        writer.point_at(events.PROCESS_JOIN, t0, writer.get_ident(),
                                        getattr(popen, "pid", 0) or 0, sites.site(1),
                                        code if type(code) is int else 0,
                                        1 if type(code) is int else 0, end=writer.monotonic_ns())
                except Exception:
                    _failed()
        except BaseException as exc:
            _hide(exc)
            raise

    def _signaller(orig, signum):
        def send(self):
            try:
                try:
                    if writer.enabled and self._popen is not None and self._popen.returncode is None:
                        writer.point(events.PROCESS_TERMINATE, _pid_of(self), sites.site(1), signum)
                except Exception:
                    _failed()
                return orig(self)
            except BaseException as exc:
                _hide(exc)
                raise
        return copy_identity(send, orig)

    def _bootstrap(self, *args, **kwargs):
        try:
            if writer.enabled:
                _announce_child(self)
        except Exception:
            _failed()
        code = orig_bootstrap(self, *args, **kwargs)
        try:
            if writer.enabled and type(code) is int:
                record_exit(code)
        except Exception:
            _failed()
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
            try:
                name_prop.fset(self, value)
            except BaseException as exc:
                _hide(exc)
                raise
            try:
                if (writer.enabled and self is mod._current_process
                        and sites.is_user_frame(sys._getframe(1))):
                    writer.point(events.PROCESS_NAME, writer.pid(), 0,
                                 writer.intern(_process_name(self)), _flags(self))
            except Exception:
                _failed()
        copy_identity(_set_name, name_prop.fset)
        BaseProcess.name = property(name_prop.fget, _set_name, name_prop.fdel, name_prop.__doc__)


def _process_name(process):
    """Process.name from its field (a subclass may override the property)."""
    try:
        name = process.__dict__.get("_name")
    except Exception:
        _failed()
        return ""
    return name if type(name) is str else ""


def _flags(process):
    if _is_helper:
        return INTERNAL
    try:
        config = process.__dict__.get("_config")
        daemon = type(config) is dict and config.get("daemon")
    except Exception:
        _failed()
        daemon = False
    flags = DAEMON if daemon else 0
    try:
        target = process.__dict__.get("_target")
    except Exception:
        _failed()
        target = None
    if target_key(target) == ("multiprocessing.managers", "_run_server"):
        flags |= MANAGER
    return flags


def _announce_child(process):
    """In the child, as _bootstrap begins: its name and its logical parent."""
    pid = writer.pid()
    writer.point(events.PROCESS_NAME, pid, 0, writer.intern(_process_name(process)),
                 _flags(process))
    try:
        parent = process.__dict__.get("_parent_pid")
    except Exception:
        _failed()
        parent = None
    if type(parent) is int and parent:
        writer.point(events.PROCESS_PARENT, pid, 0, parent)


# --- the parent learning an exit code ------------------------------------------

def _reaped(popen):
    """PROCESS_JOIN with ts == end when the parent first learns a child's exit
    code outside Process.join (is_alive(), exitcode, a Pool reaping workers)."""
    try:
        if writer.enabled and not _tls.__dict__.get("joining"):
            code = popen.returncode
            now = writer.monotonic_ns()
            writer.point_at(events.PROCESS_JOIN, now, writer.get_ident(), popen.pid or 0,
                            sites.site(2), code if type(code) is int else 0, 1, end=now)
    except Exception:
        _failed()


def _noting_reaped(orig):
    """poll() / wait() that notes the moment the exit code becomes known."""
    def method(self, *args, **kwargs):
        try:
            before = getattr(self, "returncode", 0)
            result = orig(self, *args, **kwargs)
        except BaseException as exc:
            _hide(exc)
            raise
        if before is None and getattr(self, "returncode", None) is not None:
            _reaped(self)
        return result
    return copy_identity(method, orig)


def _patch_popen_poll(mod):
    Popen = mod.Popen
    orig = Popen.__dict__.get("poll")
    if orig is None or patching.is_wrapped(orig):
        return
    Popen.poll = _noting_reaped(orig)


def _patch_popen_wait(mod):
    Popen = mod.Popen
    orig = Popen.__dict__.get("wait")
    if orig is None or patching.is_wrapped(orig):
        return
    Popen.wait = _noting_reaped(orig)


# --- helper processes ------------------------------------------------------------

def helper_main_patch(label):
    """A when_imported callback: the module's main() marks this process as
    an internal helper named `label` (lib_joblib: loky's resource tracker)."""
    return _patch_helper_main(label)


def _patch_helper_main(label):
    def patch(mod):
        orig = getattr(mod, "main", None)
        if orig is None or patching.is_wrapped(orig):
            return

        def main(*args, **kwargs):
            global _is_helper
            try:
                if writer.enabled:
                    _is_helper = True
                    writer.point(events.PROCESS_NAME, writer.pid(), 0, writer.intern(label), INTERNAL)
            except Exception:
                _failed()
            return orig(*args, **kwargs)
        mod.main = copy_identity(main, orig)
    return patch
