"""The one place that writes a process's events.

Why mmap: an event is in the page cache the moment it is written, so it
survives SIGKILL of the process, is visible to the live collector at once, and
needs no flusher thread and no flush points.  A record is claimed with one
next() on an itertools.count (atomic under the GIL), so threads never share a
slot and need no lock.  A span's end is written into its own record later
(end field 0 = still open), so an uncontended `with lock:` costs one record.

File layout (<dir>/p<pid>-<nonce>.ctev): slot 0 is the header, records are
64-byte slots from header.first_slot on; a slot whose kind is 0 is not written
(yet).  Strings live in the sibling .ctbl file as [u32 id][u32 len][utf-8],
appended with os.write under a lock before any record names them.
"""
import _thread
import errno
import itertools
import mmap
import os
import struct
import sys
import time

MAGIC = b"CTRACE01"
VERSION = 1
SLOT = 64
HEADER = struct.Struct("<8sII q 16s q q")  # magic, version, slot size, pid, token, first slot, cap
RECORD = struct.Struct("<8q")
END3 = struct.Struct("<3q")  # end, a, b
END1 = struct.Struct("<q")   # end
BLOB_HEAD = struct.Struct("<II")
INITIAL_CAPACITY = 1 << 20    # bytes mapped (and reserved on disk) at start; doubled on demand

monotonic_ns = time.monotonic_ns
get_ident = _thread.get_ident
_pack = RECORD.pack_into
_pack_end3 = END3.pack_into
_pack_end1 = END1.pack_into

# Process state; replaced wholesale in a forked child.
enabled = False
_dir = None
_token = b""
_pid = 0
_mm = None
_cap = 0
_blob_fd = -1
_event_path = ""
_next_slot = None
_next_object = itertools.count(1).__next__
_next_blob = itertools.count(1).__next__
_blob_cache = {}
_grow_lock = _thread.allocate_lock()
_blob_lock = _thread.allocate_lock()


def open_process(directory, token):
    """Create this process's event and blob files and start writing there."""
    global enabled, _dir, _token, _pid
    _dir = directory
    _token = token.encode("ascii", "replace")[:16].ljust(16, b"\0")
    _pid = os.getpid()
    _open_files(first_slot=1)
    enabled = True


def _open_files(first_slot):
    global _mm, _cap, _blob_fd, _next_slot, _next_blob, _blob_cache, _next_object, _event_path
    nonce = os.urandom(4).hex()
    base = os.path.join(_dir, "p%d-%s" % (_pid, nonce))
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    blob_fd = os.open(base + ".ctbl", flags | os.O_APPEND, 0o600)
    fd = os.open(base + ".ctev", flags, 0o600)
    cap = INITIAL_CAPACITY
    while cap <= first_slot * SLOT:
        cap *= 2
    os.ftruncate(fd, cap)
    # Reserve the blocks now: a write into a mapped page the disk cannot back
    # would be SIGBUS in the program; a failed reservation only leaves the
    # process untraced (the caller turns tracing off).
    _reserve(fd, first_slot * SLOT, cap)
    mm = mmap.mmap(fd, cap)
    HEADER.pack_into(mm, 0, MAGIC, VERSION, SLOT, _pid, _token, first_slot, 0)
    # The map keeps its own descriptor (and resizes the file through it):
    # close ours, so a traced process holds one descriptor fewer.
    os.close(fd)
    _blob_fd, _mm, _cap, _event_path = blob_fd, mm, cap, base + ".ctev"
    _next_slot = itertools.count(first_slot).__next__
    _next_blob = itertools.count(1).__next__
    _blob_cache = {}
    # Object ids are unique across the run: the pid in the high bits.
    _next_object = itertools.count((_pid << 24) + 1).__next__


def reopen_after_fork():
    """In a forked child: stop writing into the parent's file, start our own.

    The child's counter starts where the parent's stood, so an offset that a
    span begun in the parent still holds lands in the child's unused (kind 0)
    region instead of on one of the child's records.
    """
    global _pid, _blob_lock, _grow_lock
    _blob_lock = _thread.allocate_lock()
    _grow_lock = _thread.allocate_lock()
    first = _next_slot()
    _pid = os.getpid()
    _open_files(first_slot=first)


def _reserve(fd, start, end):
    if end > start and hasattr(os, "posix_fallocate"):
        try:
            os.posix_fallocate(fd, start, end - start)
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise
            # Filesystems without fallocate stay sparse.


def _grow(off):
    """Grow the file and its map in place.  Safe under the GIL: no pack_into
    is ever half-way through (they hold the GIL and no buffer export).  When
    the disk is full, tracing stops and the record is dropped (writing into a
    1-byte buffer fails with struct.error, which callers catch)."""
    global _cap, enabled
    with _grow_lock:
        if off >= _cap:
            cap = _cap
            while cap <= off:
                cap *= 2
            try:
                fd = os.open(_event_path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
                try:
                    _reserve(fd, _cap, cap)
                    os.ftruncate(fd, cap)
                finally:
                    os.close(fd)
                _mm.resize(cap)
            except (OSError, ValueError, SystemError):
                enabled = False
                return _NOWHERE
            _cap = cap
    return _mm


_NOWHERE = bytearray(1)


def point(kind, obj, site, a=0, b=0):
    """Write a point record; returns its offset."""
    off = _next_slot() << 6
    mm = _mm if off < _cap else _grow(off)
    _pack(mm, off, kind, monotonic_ns(), get_ident(), obj, site, 0, a, b)
    return off


def point_at(kind, ts, ident, obj, site, a=0, b=0, end=0):
    """Write a record with explicit time and thread (for records about another
    thread, or written after the fact)."""
    off = _next_slot() << 6
    mm = _mm if off < _cap else _grow(off)
    _pack(mm, off, kind, ts, ident, obj, site, end, a, b)
    return off


# Opening a span writes the same record as a point (end 0 = open); finish(off, …)
# closes it.  One function under the name that says what the caller means.
begin = point


def finish(off, a=0, b=0):
    """Close a span: its end time, and its final a and b."""
    mm = _mm if off < _cap else _grow(off)
    _pack_end3(mm, off + 40, monotonic_ns(), a, b)


def finish_time(off):
    """Close a span, keeping its a and b."""
    mm = _mm if off < _cap else _grow(off)
    _pack_end1(mm, off + 40, monotonic_ns())


def new_object_id():
    return _next_object()


def blob(text):
    """Write a string to the blob file; returns its id (0 for None)."""
    if text is None:
        return 0
    data = text.encode("utf-8", "backslashreplace")
    with _blob_lock:
        bid = _next_blob()
        os.write(_blob_fd, BLOB_HEAD.pack(bid, len(data)) + data)
    return bid


def intern(text):
    """blob() for strings that repeat (names, files): written once."""
    bid = _blob_cache.get(text)
    if bid is None:
        bid = _blob_cache[text] = blob(text)
    return bid


def pid():
    return _pid
