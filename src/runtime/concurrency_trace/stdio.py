"""What each process writes to its own sys.stdout / sys.stderr (IO_WRITE).

TextIOWrapper is a C type: its write cannot be patched.  At start-up, before
any user code, the interpreter's own stdout / stderr are rebuilt around the
same file descriptor objects, one layer each as a thin subclass:

    raw FileIO (kept as is) <- BufferedWriter subclass <- TextIOWrapper subclass
    (under -u / PYTHONUNBUFFERED: a FileIO subclass on the same fd <- TextIOWrapper subclass)

The old text (and buffered) wrappers are flushed and detach()ed (so they can
never close the fd or write stale bytes), and the new ones get the same raw
object, buffer size (read back from the old one), encoding, errors, newline
mode (\\n on POSIX, None on Windows: what the interpreter uses), line_buffering,
write_through, chunk size and instance attributes (`mode`).  Both sys.stdout
and sys.__stdout__ are the new object, so `sys.stdout is sys.__stdout__`,
isinstance(..., io.TextIOWrapper), fileno(), isatty(), .buffer, reconfigure()
and repr() behave as before.  Every method is the C one except write / flush
/ tell, which call the C ones with the same arguments and return their
results: bytes and their timing (buffering, line buffering, flush=True, -u)
are unchanged.  A failing write (BrokenPipeError under `| head`,
UnicodeEncodeError) prints the untraced traceback on 3.11+ (our frames are
cut from it: shared.hide_own_frames); 3.8-3.10 show one extra frame.
Known differences: type(sys.stdout) is a subclass (named TextIOWrapper,
module _io), so `type(sys.stdout) is io.TextIOWrapper` is False.

Recorded: each non-empty text write (print() makes one write per argument,
separator and end) at the user's call site; bytes written by the program to
sys.stdout.buffer directly (flag 256).  The text layer's own pushes into the
buffer are not recorded twice: they reach BufferedWriter.write from C while
the innermost Python frame is this module's write / flush / tell.
Not recorded: a stream the user puts in place (sys.stdout = io.StringIO(),
redirect_stdout): it is not ours; os.write(1, ...) and writes to .buffer.raw;
children's output (each process records its own).  Skipped entirely (left
untouched) when the interpreter's streams are not plain TextIOWrappers
(embedding, pythonw, a closed fd, an IDE shell) or have been replaced before
the tracer starts.
"""
import io
import os
import sys

from . import events, sites, writer
from .guard import tracer_failed
from .shared import hide_own_frames

_IO_WRITE = events.IO_WRITE
_MAX = 4096
_BINARY = 256
_TRUNCATED = 512
_getframe = sys._getframe
_text_codes = set()


_short = {}     # short text -> blob id (bounded): separators, repeated lines


def _record_text(stream, s):
    n = len(s)
    if n <= 64 and type(s) is str:
        bid = _short.get(s)
        if bid is None:
            if len(_short) >= 4096:
                _short.clear()
            bid = _short[s] = writer.blob(s)
    elif n <= _MAX:
        bid = writer.blob(s)
    else:
        bid = writer.blob(s[:_MAX])
        stream |= _TRUNCATED
    # site: 0 here, 1 write, 2 its caller
    writer.point(_IO_WRITE, 0, sites.site(2), bid, stream)


def _record_bytes(stream, b):
    if isinstance(b, (bytes, bytearray)):
        n = len(b)
        data = b[:_MAX]
    else:
        view = memoryview(b).cast("B")
        n = view.nbytes
        data = view[:_MAX].tobytes()
    if not n:
        return
    flags = stream | _BINARY | (_TRUNCATED if n > _MAX else 0)
    writer.point(_IO_WRITE, 0, sites.site(2), writer.blob(data.decode("utf-8", "replace")), flags)


class _Text(io.TextIOWrapper):
    """sys.stdout / sys.stderr.  Class attributes, not module globals, hold
    what write needs first: module globals are None during late shutdown."""
    __slots__ = ()
    _ct_stream = 0
    _ct_write = io.TextIOWrapper.write
    _ct_flush = io.TextIOWrapper.flush
    _ct_tell = io.TextIOWrapper.tell
    _ct_repr = io.TextIOWrapper.__repr__
    _ct_hide = staticmethod(hide_own_frames)
    _ct_failed = staticmethod(tracer_failed)

    def write(self, s):
        try:
            n = self._ct_write(s)
        except BaseException as exc:
            self._ct_hide(exc)      # the traceback an untraced write shows
            raise
        try:
            if writer.enabled and s:
                _record_text(self._ct_stream, s)
        except Exception:
            self._ct_failed()       # drops the tracer's failure, passes a signal handler's exception on
        return n

    def flush(self):
        try:
            return self._ct_flush()
        except BaseException as exc:
            self._ct_hide(exc)
            raise

    def tell(self):
        try:
            return self._ct_tell()
        except BaseException as exc:
            self._ct_hide(exc)
            raise

    def __repr__(self):
        text = type(self)._ct_repr(self)
        if text.startswith("<" + type(self).__name__):     # 3.13+ names the type
            text = "<_io." + text[1:]
        return text


class _Buffer(io.BufferedWriter):
    __slots__ = ()
    _ct_stream = 0
    _ct_write = io.BufferedWriter.write
    _ct_repr = io.BufferedWriter.__repr__
    _ct_hide = staticmethod(hide_own_frames)
    _ct_failed = staticmethod(tracer_failed)

    def write(self, b):
        try:
            n = self._ct_write(b)
        except BaseException as exc:
            self._ct_hide(exc)
            raise
        try:
            if writer.enabled and _getframe(1).f_code not in _text_codes:
                _record_bytes(self._ct_stream, b)
        except Exception:
            self._ct_failed()   # also: no Python caller at all (shutdown flush)
        return n

    def __repr__(self):
        text = type(self)._ct_repr(self)
        if text.startswith("<" + type(self).__name__):
            text = "<_io." + text[1:]
        return text


class _Raw(io.FileIO):
    """The buffer under -u / PYTHONUNBUFFERED (no BufferedWriter)."""
    _ct_stream = 0
    _ct_write = io.FileIO.write
    _ct_repr = io.FileIO.__repr__
    _ct_hide = staticmethod(hide_own_frames)
    _ct_failed = staticmethod(tracer_failed)

    write = _Buffer.write
    __repr__ = _Buffer.__repr__


for _fn in (_Text.write, _Text.flush, _Text.tell):
    _text_codes.add(_fn.__code__)
for _cls in (_Text, _Buffer, _Raw):
    for _fn in ("write", "flush", "tell"):
        if _fn in _cls.__dict__:
            getattr(_cls, _fn).__doc__ = getattr(_cls.__mro__[1], _fn).__doc__
del _fn, _cls


def _subclass(base, name, stream):
    return type(base)(name, (base,), {"__slots__": (), "_ct_stream": stream,
                                      "__module__": "_io", "__qualname__": name})


def _buffer_size(buf):
    """The BufferedWriter's buffer_size (its __sizeof__ is the object plus
    the buffer), so the new one flushes to the fd at the same points."""
    size = buf.__sizeof__() - type(buf).__basicsize__
    if size <= 0 or size > (1 << 30):
        return 0
    return size


def _wrap(name, stream):
    old = getattr(sys, name, None)
    if old is None or type(old) is not io.TextIOWrapper or getattr(sys, "__%s__" % name, None) is not old:
        return False
    if old.closed:
        return False
    buf = old.buffer
    encoding, errors = old.encoding, old.errors
    line_buffering, write_through = old.line_buffering, old.write_through
    newline = None if os.name == "nt" else "\n"
    chunk = getattr(old, "_CHUNK_SIZE", None)
    attrs = dict(getattr(old, "__dict__", {}))
    size = _buffer_size(buf) if type(buf) is io.BufferedWriter else 0
    unbuffered = type(buf) is io.FileIO and not buf.closefd and buf.mode == "wb"
    text_cls = _subclass(_Text, "TextIOWrapper", stream)
    buf_cls = _subclass(_Buffer, "BufferedWriter", stream) if size else None
    raw_cls = _subclass(_Raw, "FileIO", stream) if unbuffered else None

    old.flush()             # may raise: then nothing has changed yet
    if size:
        buf.flush()
    old.detach()
    stage = buf
    kwargs = dict(encoding=encoding, errors=errors, newline=newline,
                  line_buffering=line_buffering, write_through=write_through)
    try:
        if size:
            raw = buf.detach()
            try:
                stage = buf_cls(raw, size)
            except Exception:
                stage = io.BufferedWriter(raw, size)
        elif unbuffered:
            # A second FileIO on the same fd (closefd=False: neither closes it).
            try:
                fresh = raw_cls(buf.fileno(), "wb", closefd=False)
                fresh.__dict__.update(getattr(buf, "__dict__", {}))   # name
                stage = fresh
            except Exception:
                stage = buf
        new = text_cls(stage, **kwargs)
    except Exception:
        new = io.TextIOWrapper(stage, **kwargs)     # untraced, still the same stream
    try:
        if chunk:
            new._CHUNK_SIZE = chunk
        new.__dict__.update(attrs)
    except Exception:
        pass
    setattr(sys, name, new)
    setattr(sys, "__%s__" % name, new)
    return True


def install():
    for name, stream in (("stdout", 1), ("stderr", 2)):
        try:
            _wrap(name, stream)
        except Exception:
            if os.environ.get("CONCURRENCY_TRACE_DEBUG"):
                raise


def after_fork_in_child():
    _short.clear()      # blob ids belong to the parent's file
