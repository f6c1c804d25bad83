"""Schedule perturbation (opt-in): make races show up sooner, and again.

On only when CONCURRENCY_TRACE_PERTURB holds a seed (a decimal integer):
`run --perturb[=SEED]`, the extension's concurrencyTrace.perturbSchedule.
The variable is inherited, so every Python process of the run does this:

- sys.setswitchinterval(x), x between 1e-6 and 1e-4 s (log-uniform, from
  the seed; the same in every process): the GIL passes between runnable
  threads every few microseconds instead of every 5 ms.
- point(): the runtime calls it just before a traced operation: a shared
  access of py_state, a thread start, a Lock / RLock acquire (lock_hot's
  wrappers, or the C accelerator's, configured with point_in_wrapper), a
  put or get of a thread, multiprocessing or Manager queue, a send or
  receive on a multiprocessing Connection (Pipe, SimpleQueue), a traced
  executor task starting on its worker, and the records of
  Condition, Semaphore, Event and Barrier (threading's, multiprocessing's
  and the Manager's, through sync_records, hooked here).  With a
  probability from the seed (1/2, 1/4, 1/8 or 1/16 for the first FULL
  points of a thread, then decaying as FULL/n, so a hot loop pays for a
  bounded number of pauses) the thread pauses: it releases the GIL and
  waits until another thread of the process has passed a point of its own,
  no other thread can run, or a cap drawn from the seed has passed
  (CAP_MIN-CAP_MAX, 5-100 ms; ALONE_SHARE of that as a plain sleep when the
  process has no other thread, so that another process gets ahead).  A
  pause that ends when another thread got ahead puts that thread's
  operation before this one's: a read before a write, a check before an
  act.  Off: the modules check a flag set at import (or nothing is hooked).

The decisions come from a private PRNG per thread (_random.Random, the
generator random.Random is built on, seeded with a hash of the seed, the
process's multiprocessing identity and the thread's name), so one seed makes
the same decisions in the same places again: a run that failed can be tried
again with its seed.  The program's own `random` state is never touched.
What stays outside the seed: the OS scheduler (which thread wakes first, other
processes), the switch interval's own timing, and anything the program reads
from the clock.

Cost when off: py_state's access step, sync_records and the C lock
accelerator have nothing hooked; Thread.start, lock_hot's Python acquire
and the queue wrappers check one flag.
"""
import _thread
import os
import sys
import threading
import time

from .guard import tracer_failed

ENV = "CONCURRENCY_TRACE_PERTURB"

enabled = False
seed = 0
switch_interval = 0.0
rate = 0.0

FULL = 32                 # points per thread at the full rate, then rate * FULL / n
CAP_MIN = 0.005           # a pause waits at most 5..100 ms for another thread
CAP_MAX = 0.100
ALONE_SHARE = 0.02        # a process with one thread sleeps 1/50 of the cap
POLL_MIN = 0.0005         # how often a pause looks whether another thread can run
POLL_MAX = 0.004

_sleep = time.sleep       # the original: perturb is installed before sleeps patches it
_allocate = _thread.allocate_lock
_ident = _thread.get_ident
_monotonic = time.monotonic
_native_id = threading.get_native_id
_listdir = os.listdir
_open = os.open
_read = os.read
_close = os.close
_O_RDONLY = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_proc_ok = True
_active = threading._active
_state = _thread._local()
_turn = 0                 # points passed in this process (progress of all threads)
_waiters = []             # locks of paused threads, released by the next progress


def _fnv(text):
    """64-bit FNV-1a of text: a seed that is the same in every interpreter
    (hash() of a str is salted per process)."""
    h = 0xcbf29ce484222325
    for b in text.encode("utf-8", "replace"):
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def _stream(key):
    import _random
    return _random.Random(_fnv("%d/%s" % (seed, key)))


def _process_key():
    """The multiprocessing identity of this process ((), (1,), (2, 1)…),
    read from the objects' own dicts: the same in every run of a program
    that starts its processes in the same order."""
    mp = sys.modules.get("multiprocessing.process")
    if mp is None:
        return "()"
    current = vars(mp).get("_current_process")
    if current is None:
        return "()"
    try:
        identity = object.__getattribute__(current, "__dict__").get("_identity", ())
    except Exception:
        return "()"
    if type(identity) is not tuple:
        return "()"
    return "(%s)" % ",".join(str(i) for i in identity if type(i) is int)


def _thread_key():
    """This thread's name as the Thread object holds it (not through a
    property a subclass may override); threads threading does not know get
    the one name "?"."""
    t = _active.get(_ident())
    if t is None:
        return "?"
    try:
        name = object.__getattribute__(t, "__dict__").get("_name")
    except Exception:
        return "?"
    return name if type(name) is str else "?"


def _new_stream(state):
    rng = state.rng = _stream("%s/%s" % (_process_key(), _thread_key()))
    state.n = 0
    return rng


def point():
    """Maybe pause here (see the module's docstring), then mark this
    thread's progress: paused threads may go on."""
    maybe_pause()
    passed()


def point_in_wrapper():
    """point() for a wrapper of a patched call (the traced Lock / RLock
    acquire): an exception of the program's arriving during the pause
    (Ctrl-C) leaves without this module's frames, as if it had arrived
    before the call.  At the recursion limit there is no point (the
    wrapper's caller skips it when calling this raises RecursionError)."""
    try:
        maybe_pause()
        passed()
    except RecursionError:
        return      # this module's frames went over the limit: no point here (untraced, none)
    except BaseException as exc:
        from .safety import hide
        hide(exc)
        raise


def maybe_pause():
    """The decision of this point, and the pause if it says so.  The
    progress is marked separately (passed()), after the operation's own
    bookkeeping: a thread woken by it finds the operation done."""
    try:
        state = _state
        rng = getattr(state, "rng", None)
        if rng is None:
            rng = _new_stream(state)
        n = state.n = state.n + 1
        r = rng.random()
        if r >= (rate if n <= FULL else rate * FULL / n):
            return
        cap = CAP_MIN * (CAP_MAX / CAP_MIN) ** rng.random()
        if len(_active) > 1:
            _wait_for_progress(cap)
        else:
            _sleep(cap * ALONE_SHARE)
    except RecursionError:
        raise       # the caller decides (point_in_wrapper: no point)
    except Exception:
        tracer_failed()


def _wait_for_progress(cap):
    """Release the GIL until another thread passes a point, no other thread
    of the process can run (all blocked: nobody will pass one), or cap
    seconds.  A signal handler's exception (Ctrl-C) propagates: the program
    gets it here as it would at its next instruction."""
    start = _turn
    lock = _allocate()
    lock.acquire()
    _waiters.append(lock)
    deadline = _monotonic() + cap
    poll = POLL_MIN
    idle = 0
    while _turn == start:
        left = deadline - _monotonic()
        if left <= 0:
            break
        if lock.acquire(True, min(left, poll)):
            break
        if _turn != start:
            break
        if _others_runnable() is False:
            idle += 1
            if idle >= 2:
                break
        else:
            idle = 0
        poll = min(poll * 2, POLL_MAX)
    try:
        _waiters.remove(lock)
    except ValueError:
        pass        # taken by passed(): it released it, or will (harmless)


def _others_runnable():
    """Whether another thread of this process is running or waiting for a
    CPU (state R in /proc/self/task/*/stat; a thread waiting for the GIL
    becomes R as soon as a thread lets it go), None where that is unknown."""
    global _proc_ok
    if not _proc_ok:
        return None
    me = b"%d" % _native_id()
    try:
        tasks = _listdir(b"/proc/self/task")
    except OSError:
        _proc_ok = False
        return None
    for tid in tasks:
        if tid == me:
            continue
        try:
            fd = _open(b"/proc/self/task/" + tid + b"/stat", _O_RDONLY)
        except OSError:
            continue        # ended meanwhile
        try:
            data = _read(fd, 512)
        finally:
            _close(fd)
        i = data.rfind(b")")
        if data[i + 2:i + 3] == b"R":
            return True
    return False


def passed():
    """This thread got past a point: wake the paused ones."""
    global _turn
    _turn += 1
    if _waiters:
        _wake()


def _wake():
    while _waiters:
        try:
            lock = _waiters.pop()
        except IndexError:
            return
        try:
            lock.release()
        except RuntimeError:
            pass    # already released


def around_step(step):
    """py_state's step (called before every traced access of Python state)
    with a point: the decision before it (the value it records is then the
    one the instruction reads after the pause), the progress after it."""
    def perturbed_step(frame, info, e, off):
        if e.access is not None and not e.dead:
            maybe_pause()
        result = step(frame, info, e, off)
        global _turn
        _turn += 1
        if _waiters:
            _wake()
        return result
    perturbed_step.__wrapped__ = step
    return perturbed_step


def _hook_sync_records():
    """Condition, Semaphore, Event and Barrier (threading's, multiprocessing's,
    the Manager's) record through sync_records' begin (a wait or a hold
    starts) and point (notify, set, a release…), which their modules import
    by name: replaced here, before those modules are imported (perturb is the
    first area), by versions with a point first.  Off: nothing replaced."""
    if __package__ + ".sync_records" in sys.modules:
        return      # imported already (by name elsewhere): a late hook would reach only some callers
    from . import sync_records
    begin = sync_records.begin
    record = sync_records.point

    def perturbed_begin(kind, obj, f, a=0):
        maybe_pause()
        off = begin(kind, obj, f, a)
        passed()
        return off

    def perturbed_point(kind, obj, f, a=0, b=0):
        maybe_pause()
        record(kind, obj, f, a, b)
        passed()

    perturbed_begin.__wrapped__ = begin
    perturbed_point.__wrapped__ = record
    sync_records.begin = perturbed_begin
    sync_records.point = perturbed_point


def parse_seed(text):
    """The seed from the environment, or None: a decimal integer 0..2**63-1."""
    text = (text or "").strip()
    if not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if value < 1 << 63 else None


def install():
    global enabled, seed, switch_interval, rate
    value = parse_seed(os.environ.get(ENV))
    if value is None:
        return
    seed = value
    rng = _stream("run")
    switch_interval = 10 ** (-6 + 2 * rng.random())
    rate = 0.5 ** (1 + rng.getrandbits(2))
    sys.setswitchinterval(switch_interval)
    enabled = True
    _hook_sync_records()


def after_fork_in_child():
    """The child's threads get streams of their own (its identity is read at
    their first point); waiters of the parent do not exist here."""
    global _state, _turn
    _state = _thread._local()
    _turn = 0
    del _waiters[:]
