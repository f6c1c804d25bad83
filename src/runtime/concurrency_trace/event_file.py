"""The operating-system side of a process's event file, for writer.py:
create it, open it again for a moment and check it is still ours, reserve
room on disk, and map a window of it out of the program's descriptors.

The program owns every descriptor number: ours are opened only for a moment
(CLOEXEC, checked by device and inode), and a map's own descriptor (mmap
keeps one before 3.13) is placed at FD_FLOOR or above, where programs that
list or close "all" low descriptors do not look, and is never closed by us
once the program has taken its number over.
"""
import errno
import mmap
import os
import sys

from .guard import raised_by_program

try:
    import fcntl as _fcntl
except ImportError:
    _fcntl = None

FD_FLOOR = 256
TRACKFD = sys.version_info >= (3, 13)    # mmap(..., trackfd=False): the map keeps no descriptor
GRANULARITY = mmap.ALLOCATIONGRANULARITY
GROW_CHUNK = 1 << 20     # zeros appended at a time where the file is grown without fallocate
OPEN_FLAGS = os.O_RDWR | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)

_kept = []      # maps whose descriptor the program took over: never closed


def create(path):
    """A new private file at path: (descriptor, (st_dev, st_ino))."""
    fd = os.open(path, OPEN_FLAGS | os.O_CREAT | os.O_EXCL, 0o600)
    st = os.fstat(fd)
    return fd, (st.st_dev, st.st_ino)


def is_ours(fd, file_id):
    st = os.fstat(fd)
    return (st.st_dev, st.st_ino) == file_id


def reopen(path, file_id):
    """The file at path, opened for a moment, if it is still ours; None if
    the path now names another file.  OSError if it cannot be opened."""
    fd = os.open(path, OPEN_FLAGS)
    try:
        if is_ours(fd, file_id):
            return fd
    except OSError as e:
        if raised_by_program(e):
            os.close(fd)
            raise
    os.close(fd)
    return None


def _no_fallocate(fd, offset, length):
    raise OSError(errno.ENOSYS, "posix_fallocate")


_fallocate = getattr(os, "posix_fallocate", _no_fallocate)


def reserve(fd, start, size):
    """Make [start, start + size) of the file exist on disk (OSError ENOSPC,
    EDQUOT, EFBIG when it cannot).  Reserved before it is mapped: a write into
    a mapped page the disk cannot back would be SIGBUS in the program.
    posix_fallocate also extends the file and never shrinks it, so two threads
    growing it at once cannot cut each other's window."""
    try:
        _fallocate(fd, start, size)
    except OSError as e:
        if raised_by_program(e) or e.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            raise
        grow(fd, start + size)


def grow(fd, end):
    """Without posix_fallocate (macOS, some file systems): make the file at
    least end bytes long, never shorter.  Not by ftruncate(end) after
    checking the size: another thread (or a signal handler interrupting this
    one) growing it further in between would have its window cut off, and
    its records lost or a SIGBUS.  Zeros are appended (O_APPEND: each write
    lands at the end as it is then, atomically), so nothing written is ever
    overwritten, and the blocks are allocated (ENOSPC here, not SIGBUS
    later).  Two growers at once may both append: the file ends up to one
    chunk each longer than needed, past the last record (zero slots)."""
    size = os.fstat(fd).st_size
    if size >= end:
        return
    if _fcntl is None:      # (Windows: no fcntl, one writer per file handle there)
        os.ftruncate(fd, end)
        return
    flags = _fcntl.fcntl(fd, _fcntl.F_GETFL)
    _fcntl.fcntl(fd, _fcntl.F_SETFL, flags | os.O_APPEND)
    try:
        zeros = bytes(min(GROW_CHUNK, end - size))
        while size < end:
            os.write(fd, zeros[:end - size])
            size = os.fstat(fd).st_size
    finally:
        _fcntl.fcntl(fd, _fcntl.F_SETFL, flags)


def map_window(fd, start, size, file_id):
    """mmap of [start, start + size) of the file, and the descriptor the map
    keeps (-1: none, or not known)."""
    if TRACKFD:
        return mmap.mmap(fd, size, offset=start, trackfd=False), -1
    # mmap dup()s fd to the lowest free number: fill the numbers below
    # FD_FLOOR for a moment so the copy it keeps lands above them.
    fill = []
    keep = -1
    try:
        try:
            while True:
                n = os.dup(fd)
                if n >= FD_FLOOR:
                    os.close(n)
                    keep = n
                    break
                fill.append(n)
        except OSError as e:
            if e.errno != errno.EMFILE or raised_by_program(e):
                raise
            # A descriptor limit below FD_FLOOR: the copy goes where it can.
            while fill:
                os.close(fill.pop())
        m = mmap.mmap(fd, size, offset=start)
    finally:
        for n in fill:
            os.close(n)
    try:
        if keep >= 0 and not is_ours(keep, file_id):
            keep = -1       # another thread took that number meanwhile
    except OSError as e:
        if raised_by_program(e):
            raise
        keep = -1
    return m, keep


def release(m, fd, file_id):
    """A map that is no longer written.  It is unmapped once the last writer
    holding it is done, and before 3.13 that closes fd too: fd must still be
    ours then, else the map is kept for good (even through interpreter
    shutdown, which would otherwise close the program's descriptor)."""
    if fd < 0:
        return
    try:
        if is_ours(fd, file_id):
            return
    except OSError as e:
        if raised_by_program(e):
            _kept.append(m)
            raise
    _kept.append(m)     # the program closed that number (and may use it again)
    try:
        import ctypes   # rare: keep one reference that nothing ever drops
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(m))
    except Exception:
        pass


def close_copies(file_id):
    """In a forked child: close the copies of descriptors of the parent's file
    that another thread of the parent held for a moment when it forked."""
    try:
        numbers = [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        numbers = range(FD_FLOOR)
    for fd in numbers:
        if fd < FD_FLOOR:
            try:
                if is_ours(fd, file_id):
                    os.close(fd)
            except OSError:
                pass
