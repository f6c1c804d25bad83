"""The one place that writes a process's events.

Why mmap: an event is in the page cache the moment it is written, so it
survives SIGKILL of the process, is visible to the live collector at once, and
needs no flusher thread and no flush points.  A record is claimed with one
next() on an itertools.count (atomic under the GIL), so threads never share a
slot and need no lock.  A span's end is written into its own record later
(end field 0 = still open), so an uncontended `with lock:` costs one record.

No lock anywhere, on purpose: a signal handler runs between any two bytecodes
of the code it interrupts, tracer code included, and writes events too.  Every
path here is reentrant (a handler that writes while the interrupted frame is
half-way through a write claims slots of its own) and keeps the file valid
whatever exception arrives between two bytecodes.

The file's layout: event_format.py.  Its windows (the part of the file mapped
now) and the slow writes outside the current one: event_windows.py.  The
operating-system side (creating, reopening, mapping out of the program's
descriptors): event_file.py.

Hot-path contract for other modules (locks, the native accelerator):
    for i in _slots: break                       # claim (see point() for why not _next_slot())
    off = i << 6                                 # absolute byte offset
    mm, base, end = _win                         # one consistent snapshot
    if base <= off < end:
        _record_into(mm, off - base, ts, ident, obj, site, end_ns, a, b, kind)
    else:
        _put_record(off, kind, ts, ident, obj, site, end_ns, a, b)
and to close a span at off (its end field is at +END_AT):
    mm, base, end = _win
    if base <= off < end: _end1_into(mm, off - base + END_AT, t)
    else: _put_end1(off, t)
(`_pack` / `_pack_end1` / `_grow` / `_mm` / `_cap` still work for callers
written against the earlier whole-file map, through the slow path.)
"""
import _thread
import errno
import itertools
import os
import sys
import time

from . import event_file, event_windows
from .event_file import FD_FLOOR  # noqa: F401  (tests and callers read it here)
from .event_format import (AB, CLAIMED, END1, END_AT, FIRST_SLOT, HEADER, KIND, KIND_AT, MAGIC, RECORD,  # noqa: F401
                           SLOT, STATUS, STOP_DISK_FULL, STOP_ERROR, STOP_FILE_GONE, STOP_NO_MEMORY, STRING,
                           STRING_KIND, STRING_PIECE, VERSION, VOID_KIND)
from .guard import tracer_failed

monotonic_ns = time.monotonic_ns
get_ident = _thread.get_ident
_record_into = RECORD.pack_into
_kind_into = KIND.pack_into
_end1_into = END1.pack_into
_ab_into = AB.pack_into
_string_into = STRING.pack_into
_kind_at = KIND.unpack_from

# Process state; replaced wholesale in a forked child.
enabled = False
_dir = None
_token = b""
_pid = 0
_path = ""
_file_id = None          # (st_dev, st_ino) of our event file
_first_off = 0           # byte offset of the first record slot; below: header, or a parent's
_NO_WINDOW = (None, 0, 0)
_win = _NO_WINDOW        # (map, first byte offset, end byte offset): the window written now
_prev = _NO_WINDOW       # the one before: stragglers and spans that just outlived it
_map_fd = {}             # id(map) -> the descriptor mmap keeps (before 3.13), -1 unknown
_stopped = 0             # STOP_* once tracing stopped
_stopped_errno = 0
_busy = []               # not empty while a thread holds a descriptor of the file for a moment (append / pop: atomic)
_slots = itertools.count(FIRST_SLOT)
_next_slot = _slots.__next__
_next_object = itertools.count(1).__next__
_next_blob = itertools.count(1).__next__
_blob_cache = {}

# Compatibility with callers written for the whole-file map (see the module doc).
_mm = bytearray(2 * SLOT)    # a copy of the header and status slots
_cap = 0


def open_process(directory, token):
    """Create this process's event file and start writing there."""
    global enabled, _dir, _token, _pid
    _dir = os.path.abspath(directory)
    _token = token.encode("ascii", "replace")[:16].ljust(16, b"\0")
    _pid = os.getpid()
    _create_file(FIRST_SLOT)
    enabled = True


def _create_file(first_slot):
    global _path, _file_id, _first_off, _win, _prev, _stopped, _next_blob, _blob_cache, _next_object
    path = os.path.join(_dir, "p%d-%s.ctev" % (_pid, os.urandom(4).hex()))
    fd, file_id = event_file.create(path)
    try:
        _path, _file_id, _first_off = path, file_id, first_slot * SLOT
        _win = _prev = _NO_WINDOW
        _stopped = 0
        _next_blob = itertools.count(1).__next__
        _blob_cache = {}
        # Object ids are unique across the run: the pid in the high bits.
        _next_object = itertools.count((_pid << 24) + 1).__next__
        head = HEADER.pack(MAGIC, VERSION, SLOT, _pid, _token, first_slot, 0) + bytes(SLOT)
        _mm[:] = head
        os.pwrite(fd, head, 0)
        if not _map_next(fd, _first_off):
            # The status slot says why; raising also leaves sitecustomize's
            # untraced note where the disk still has room for one.
            err = _stopped_errno or errno.EIO
            raise OSError(err, os.strerror(err))
    finally:
        os.close(fd)


def reopen_after_fork():
    """In a forked child: stop writing into the parent's file, start our own.

    The child's counter goes on from where the parent's stood, so an offset
    that a span begun in the parent still holds is below the child's first
    slot and is never written (_first_off)."""
    global _pid, _win, _prev, enabled
    first = _claimed()
    old = (_win, _prev)
    _win = _prev = _NO_WINDOW       # nothing more lands in the parent's file
    for w in old:
        _drop_window(w)
    if _busy:
        # Another thread of the parent held descriptors of the file for a
        # moment (opening it, mapping a window) when it forked: their copies
        # are here, and nobody will close them.
        del _busy[:]
        event_file.close_copies(_file_id)
    _pid = os.getpid()
    _create_file(first)
    enabled = not _stopped


# --------------------------------------------------------------------------
# Windows and the slow path (event_windows.py works on this module's state)

event_windows.bind(sys.modules[__name__])
_open_own = event_windows.open_own
_map_next = event_windows.map_next
_drop_window = event_windows.drop_window
_write = event_windows.write
abandon = event_windows.abandon     # the C accelerator calls it here


def _stop(reason, err):
    """Stop tracing this process (the program goes on untraced) and say why in
    the status slot; the collector reports it."""
    global enabled, _stopped
    if _stopped:
        return
    global _stopped_errno
    _stopped = reason
    _stopped_errno = err or 0
    enabled = False
    _busy.append(1)
    try:
        claimed = _claimed()
        STATUS.pack_into(_mm, SLOT, claimed, monotonic_ns(), reason, err or 0)
        fd = event_file.reopen(_path, _file_id)
        if fd is not None:
            try:
                os.pwrite(fd, bytes(_mm[SLOT:SLOT + STATUS.size]), SLOT)
            finally:
                os.close(fd)
    except Exception:
        tracer_failed()
    finally:
        _busy.pop()


def _claimed():
    """The next slot index, read without claiming it (a claimed slot that is
    never written would be a hole).  repr: count objects no longer pickle (3.14)."""
    text = repr(_slots)
    return int(text[text.index("(") + 1:text.rindex(")")].split(",")[0])


def note_exit():
    """At exit (atexit, os._exit): how many slots were claimed, so the
    collector can tell a record that was never written from the end."""
    try:
        claimed = _claimed()
        CLAIMED.pack_into(_mm, SLOT, claimed)
        fd = _open_own()
        if fd is not None:
            try:
                os.pwrite(fd, CLAIMED.pack(claimed), SLOT)
            finally:
                os.close(fd)
    except Exception:
        tracer_failed()


def _put_record(off, kind, ts, ident, obj, site, end, a, b):
    _write(off, 0, RECORD.pack(ts, ident, obj, site, end, a, b, 0)[:KIND_AT], kind)


def _put_end1(off, t):
    _write(off, END_AT, END1.pack(t))


def lost():
    """An event the tracer failed before it claimed a slot for it (its own
    exception after the program's call was made): one slot marked dropped, so
    the trace counts the event as lost (EVENTS_LOST) rather than never know of
    it.  An exception between the claim and the mark leaves the slot empty,
    which the final read counts as lost too."""
    if enabled:
        for i in _slots:
            break
        abandon(i << 6)


# --------------------------------------------------------------------------
# Records

# Claiming a slot: `for i in _slots: break` rather than `i = _next_slot()`.
# From 3.10 on, the interpreter runs signal handlers (and raises asynchronous
# exceptions) only after calls and on backward jumps: after a call returns
# the claimed number would still be on the stack when a handler's exception
# arrives, lost to the except clause; FOR_ITER + STORE_FAST have no such
# point, so the except clause always knows the slot it must mark dropped.
# (3.8 / 3.9 check between any two instructions: there one record in a great
# many can still be lost that way, and is counted as lost.)

def point(kind, obj, site, a=0, b=0):
    """Write a point record; returns its offset."""
    i = -1
    try:
        for i in _slots:
            break
        off = i << 6
        m, base, end = _win
        if base <= off < end:
            _record_into(m, off - base, monotonic_ns(), get_ident(), obj, site, 0, a, b, kind)
        else:
            _put_record(off, kind, monotonic_ns(), get_ident(), obj, site, 0, a, b)
    except BaseException:
        if i >= 0:
            abandon(i << 6)
        raise
    return off


def point_at(kind, ts, ident, obj, site, a=0, b=0, end=0):
    """Write a record with explicit time and thread (for records about another
    thread, or written after the fact)."""
    i = -1
    try:
        for i in _slots:
            break
        off = i << 6
        m, base, stop = _win
        if base <= off < stop:
            _record_into(m, off - base, ts, ident, obj, site, end, a, b, kind)
        else:
            _put_record(off, kind, ts, ident, obj, site, end, a, b)
    except BaseException:
        if i >= 0:
            abandon(i << 6)
        raise
    return off


# Opening a span writes the same record as a point (end 0 = open); finish(off, …)
# closes it.  One function under the name that says what the caller means.
begin = point


def finish(off, a=0, b=0):
    """Close a span: its final a and b, then its end time (a reader that sees
    the end sees them)."""
    m, base, end = _win
    if base <= off < end:
        o = off - base
        try:
            _ab_into(m, o + END_AT + 8, a, b)
        finally:
            _end1_into(m, o + END_AT, monotonic_ns())
    else:
        _write(off, END_AT + 8, AB.pack(a, b))
        _write(off, END_AT, END1.pack(monotonic_ns()))


def finish_time(off):
    """Close a span, keeping its a and b."""
    m, base, end = _win
    if base <= off < end:
        _end1_into(m, off - base + END_AT, monotonic_ns())
    else:
        _write(off, END_AT, END1.pack(monotonic_ns()))


def new_object_id():
    return _next_object()


def blob(text):
    """Write a string (as slots of its own); returns its id (0 for None)."""
    if text is None:
        return 0
    data = text.encode("utf-8", "backslashreplace")
    bid = _next_blob()
    n = len(data)
    piece = 0
    at = 0
    while True:
        i = -1
        try:
            for i in _slots:
                break
            off = i << 6
            m, base, end = _win
            if base <= off < end:
                _string_into(m, off - base, bid, n, piece, data[at:at + STRING_PIECE], STRING_KIND)
            else:
                _write(off, 0, STRING.pack(bid, n, piece, data[at:at + STRING_PIECE], 0)[:KIND_AT], STRING_KIND)
        except BaseException:
            if i >= 0:
                abandon(i << 6)
            raise
        at += STRING_PIECE
        if at >= n:
            return bid
        piece += 1


def intern(text):
    """blob() for strings that repeat (names, files): written once."""
    bid = _blob_cache.get(text)
    if bid is None:
        bid = _blob_cache[text] = blob(text)
    return bid


def pid():
    return _pid


# --------------------------------------------------------------------------
# Callers written for the whole-file map: `_pack(_mm if off < _cap else
# _grow(off), off, kind, …)` and `_pack_end1(_mm, off + 40, t)` still write
# the right slot (the buffer argument is ignored), through the slow path.

def _pack(_buffer, off, kind, ts, ident, obj, site, end, a, b):
    try:
        m, base, stop = _win
        if base <= off < stop:
            _record_into(m, off - base, ts, ident, obj, site, end, a, b, kind)
        else:
            _put_record(off, kind, ts, ident, obj, site, end, a, b)
    except BaseException:
        abandon(off)
        raise


def _pack_end1(_buffer, pos, t):
    off = pos - 40          # they name the end field by the earlier layout's +40
    m, base, end = _win
    if base <= off < end:
        _end1_into(m, off - base + END_AT, t)
    else:
        _write(off, END_AT, END1.pack(t))


def _grow(off):
    return _mm
