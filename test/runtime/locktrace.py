"""Helpers shared by the lock tests (test_locks, test_sync_primitives,
test_mp_locks, test_manager_locks)."""
import textwrap

from test.runtime import tracefile

LOCK_KINDS = ("LOCK_WAIT", "LOCK_HOLD", "LOCK_TRY_FAIL", "LOCK_RELEASE")


# ctwait.py, next to every script: a thread waits for another to be blocked at a line instead
# of sleeping and hoping it is (a loaded machine can leave a thread unscheduled for 0.3 s).
CTWAIT = r"""
import platform, sys, time
_FUTEX = {"x86_64": 202, "aarch64": 98}.get(platform.machine())
_SCRIPT = sys.modules["__main__"].__file__


def _at(thread, line):
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_filename == _SCRIPT and frame.f_lineno == line:
            return True
        frame = frame.f_back
    return False


def _untimed_wait(thread):
    # In futex() without a timeout: a lock / semaphore / condition acquire.  The GIL's waits
    # have one, so a thread only waiting for the GIL does not count.
    try:
        with open("/proc/self/task/%d/syscall" % thread.native_id) as f:
            fields = f.read().split()
    except OSError:         # no /proc/…/syscall here: at the line for a while will do
        time.sleep(0.5)
        return _at(thread, _line[0])
    return len(fields) > 4 and fields[0] == str(_FUTEX) and int(fields[4], 16) == 0


def process_blocked_after(ev, pid, timeout=60):
    # once ev is cleared, until process pid's main thread is in an untimed futex wait
    deadline = time.monotonic() + timeout
    while ev.is_set() or not _untimed_wait_of("/proc/%d/task/%d/syscall" % (pid, pid)):
        if time.monotonic() > deadline:
            raise AssertionError("process %d never blocked" % pid)
        time.sleep(0.002)


def _untimed_wait_of(path):
    try:
        with open(path) as f:
            fields = f.read().split()
    except OSError:         # not readable here: a while will do
        time.sleep(0.5)
        return True
    return len(fields) > 4 and fields[0] == str(_FUTEX) and int(fields[4], 16) == 0


_line = [0]


def blocked_at(thread, line, timeout=60):
    _line[0] = line
    deadline = time.monotonic() + timeout
    while not (_at(thread, line) and _untimed_wait(thread)):
        if time.monotonic() > deadline:
            raise AssertionError("never blocked at line %d" % line)
        time.sleep(0.002)
"""


def run(code, *args, **kw):
    files = dict(kw.pop("files", None) or {})
    files.setdefault("ctwait.py", CTWAIT)
    proc, trace = tracefile.run(textwrap.dedent(code), *args, files=files, **kw)
    if proc.returncode != 0:
        raise AssertionError("script failed (%d):\n%s\n%s" % (
            proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")))
    return proc, trace


def objects(trace, type_name=None):
    """{label: OBJECT record} of the objects of type_name."""
    out = {}
    for rec in trace.of("OBJECT"):
        if type_name is None or trace.blob(rec) == type_name:
            out[trace.blob(rec, "b")] = rec
    return out


def of(trace, obj, *kinds):
    return [r for r in trace.of(*kinds) if r.obj == obj]


def line(trace, rec):
    return trace.site(rec)[1]
