"""Threads that may still come to an instruction of the user's code.

On 3.12+ an instruction over budget is switched off for every thread
(sys.monitoring); that must not shut out a thread that has not made its
first accesses there yet, which are what a race needs.  So it stays on
while a Thread.start is under way, while another thread (not over budget
there) runs its code, or one started lately has not reached the user's code
yet; and a thread that starts a call of code switched off while others were
over budget switches it on again (newcomer).
"""
import sys
import time

_mono = time.monotonic_ns
FRESH_NS = 2000000000       # a thread started this recently and not yet in user code may still come
_started = {}               # thread ident -> when Thread.start started it
_starting = [0]             # Thread.start calls under way


def newcomer(info, ident):
    """A thread starts a call of code with instructions switched off: if it
    is not one of those over budget there, switch them on again (True; the
    mechanism re-arms the code) so that it makes its first accesses."""
    quiet_for = info.quiet_for
    if quiet_for is None or ident in quiet_for:
        return False
    info.quiet_for = None
    for e in info.entries.values():
        if not e.enabled:
            e.enabled = True
            e.retry = 0
    return True


def others_may_come(code, full, now, user_codes):
    """A thread other than those over budget (`full`) at an instruction of
    `code` that runs this code now, or that started lately and has not
    reached the user's code (`user_codes`: id(code) -> ...) yet: on a loaded
    machine a thread can wait long for its first turn."""
    if _starting[0]:
        return True    # a Thread.start is under way: that thread has no frame to see yet
    for ident, f in sys._current_frames().items():
        if ident in full:
            continue
        user = False
        while f is not None:
            c = f.f_code
            if c is code:
                return True
            if id(c) in user_codes:
                user = True
            f = f.f_back
        if not user:
            # Not in the user's code yet: a thread Thread.start started lately
            # (or one not known yet: the starting thread may not have noted
            # it before this one's turn came) may still come here.
            t0 = _started.get(ident)
            if t0 is None or now - t0 < FRESH_NS:
                return True
    return False


def thread_starting():
    _starting[0] += 1


def thread_started(ident):
    _starting[0] -= 1
    if ident:
        _started[ident] = _mono()
        if len(_started) > 4096:
            _started.clear()


def reset():
    _started.clear()
    _starting[0] = 0
