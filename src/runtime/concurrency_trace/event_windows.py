"""The windows of a process's event file, for writer.py: map the next one
when records pass the end of the current one, and write a slot wherever it
is when it is not in the current window (the previous window, a new one, or
the file itself for a span that outlived both), or mark it dropped.

Memory: the process maps a window of the file (1 MiB, doubling up to 8 MiB),
not the whole file, so a long run costs the program at most two windows of
address space (RLIMIT_AS) and resident pages.  The file is opened for a
moment to grow it and map the next window, or to write into an older window,
and checked (device and inode) to be this file each time (event_file.py).

No lock, as in the writer: any thread, or a signal handler interrupting one
half-way through moving the window, may move it too; whichever window ends
further on is kept.

The state is the writer's globals (_win, _prev, _stopped…: the hot paths and
the C accelerator read them there).  writer.py hands its module over with
bind() when it is imported, so this module imports nothing of the writer's
(no import circle)."""
import errno
import os

from . import event_file
from .event_format import (FIRST_WINDOW, KIND, KIND_AT, MAX_WINDOW, STOP_DISK_FULL, STOP_ERROR,
                           STOP_FILE_GONE, STOP_NO_MEMORY, VOID_KIND)
from .guard import raised_by_program

_kind_into = KIND.pack_into
_kind_at = KIND.unpack_from

_w = None       # the writer module (bind)


def bind(writer):
    global _w
    _w = writer


def open_own():
    """Our event file, opened for a moment; None (and tracing stopped) if the
    path no longer names it."""
    w = _w
    if os.getpid() != w._pid:
        return None     # a forked child before it has a file of its own
    try:
        fd = event_file.reopen(w._path, w._file_id)
    except OSError as e:
        if raised_by_program(e):
            raise       # TimeoutError from a signal handler is an OSError too
        w._stop(STOP_FILE_GONE if e.errno in (errno.ENOENT, errno.ESTALE, errno.ELOOP, errno.ENOTDIR)
                else STOP_ERROR, e.errno)
        return None
    if fd is None:
        w._stop(STOP_FILE_GONE, 0)
    return fd


def map_next(fd, off):
    """Map (and reserve on disk) a window holding byte offset off, and make it
    the current one.  False when that is impossible: tracing stops."""
    busy = _w._busy
    busy.append(1)
    try:
        return _map_window(fd, off)
    finally:
        busy.pop()


def _map_window(fd, off):
    w = _w
    if w._stopped:
        return False
    mm, base, end = w._win
    size = min(MAX_WINDOW, 2 * (end - base)) if mm is not None else FIRST_WINDOW
    if mm is not None and end <= off < end + size:
        start = end
    else:
        start = off - off % event_file.GRANULARITY
    stop = start + size
    own = fd is None
    if own:
        fd = open_own()
        if fd is None:
            return False
    try:
        event_file.reserve(fd, start, size)
        new, kept = event_file.map_window(fd, start, size, w._file_id)
    except (MemoryError, OverflowError, ValueError, OSError) as e:
        if raised_by_program(e):
            raise
        if isinstance(e, OSError):
            w._stop(STOP_NO_MEMORY if e.errno == errno.ENOMEM else
                    STOP_DISK_FULL if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else STOP_ERROR,
                    e.errno or 0)
        else:
            w._stop(STOP_ERROR if isinstance(e, ValueError) else STOP_NO_MEMORY, 0)
        return False
    finally:
        if own:
            os.close(fd)
    if kept >= 0:
        w._map_fd[id(new)] = kept
    if stop > w._win[2]:      # a handler or another thread may have moved on meanwhile
        old = w._prev
        w._prev = w._win
        w._win = (new, start, stop)
        w._cap = 0
        drop_window(old)
    else:
        drop_window((new, start, stop))
    return True


def drop_window(win):
    m = win[0]
    if m is not None:
        event_file.release(m, _w._map_fd.pop(id(m), -1), _w._file_id)


def write(off, body_at, body, kind=0):
    """The slow path: write body at byte off + body_at of the file (then the
    kind, if any, at off + KIND_AT) wherever that slot is: the current or
    previous window, a new window, or the file itself."""
    w = _w
    if off < w._first_off:
        return          # below our records: a span begun in a parent process
    for _ in range(4):
        for m, base, end in (w._win, w._prev):
            if base <= off < end:
                o = off - base
                m[o + body_at:o + body_at + len(body)] = body
                if kind:
                    _kind_into(m, o + KIND_AT, kind)
                return
        if off < w._win[2]:
            _far(off, body_at, body, kind)     # older than both windows: a long span's end
            return
        if not map_next(None, off):
            return


def _far(off, body_at, body, kind):
    busy = _w._busy
    busy.append(1)
    try:
        fd = open_own()
        if fd is None:
            return
        try:
            os.pwrite(fd, body, off + body_at)
            if kind:
                os.pwrite(fd, KIND.pack(kind), off + KIND_AT)
        finally:
            os.close(fd)
    finally:
        busy.pop()


def abandon(off):
    """After an exception between claiming the slot at off and writing it:
    mark it dropped (if it is still empty), so readers do not wait for it and
    count it as lost."""
    try:
        w = _w
        for _ in range(2):
            for m, base, end in (w._win, w._prev):
                if base <= off < end:
                    if _kind_at(m, off - base + KIND_AT)[0] == 0:
                        _kind_into(m, off - base + KIND_AT, VOID_KIND)
                    return
            # Beyond the window (the exception came while the next one was
            # being mapped): map it.  Older than both windows: a straggler of
            # long ago, left for the reader to count.
            if off < w._win[2] or off < w._first_off or not map_next(None, off):
                return
    except (AttributeError, TypeError, ValueError):
        pass    # interpreter shutdown (globals are None)
