"""Call sites: the file and line in the user's code that an event belongs to.

A site is written once per process as a SITE record and then named by id.
The fast path caches by (code object, last instruction) of the immediate
caller when that caller is user code; calls that arrive through the standard
library walk out to the first user frame each time.

Caches keyed by id(code) (hashing a code object costs 0.2-1 us on 3.12+) do
not keep the code alive: forget_with() drops their entries when the code is
garbage, before its id can be reused.  A program that exec()s 100 000
snippets keeps none of them.
"""
import _weakref
import itertools
import os
import sys

from . import events, writer
from .guard import raised_by_program

_getframe = sys._getframe
_by_instruction = {}   # (id(code), f_lasti) -> site id, for user-code callers
_by_place = {}         # (filename, line) -> site id
_is_user = {}          # id(code) -> bool
_file_is_user = {}     # co_filename -> bool: one realpath per file, not per code object
_next_site = itertools.count(1).__next__


class _CodeRef(_weakref.ref):
    __slots__ = ("cid", "entries")


_refs = {}             # id(code) -> _CodeRef: what to forget when that code dies


def _gone(ref):
    # Runs as the code object is freed (any thread, any moment): plain dict
    # operations only, each atomic.
    for mapping, key in ref.entries:
        mapping.pop(key, None)
    if _refs.get(ref.cid) is ref:
        del _refs[ref.cid]


def forget_with(code, mapping, key):
    """Delete mapping[key] when `code` is freed: for caches keyed by id(code)."""
    cid = id(code)
    ref = _refs.get(cid)
    if ref is None or ref() is not code:
        ref = _CodeRef(code, _gone)
        ref.cid = cid
        ref.entries = []
        _refs[cid] = ref
    ref.entries.append((mapping, key))

_RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
try:
    _START_DIR = os.getcwd()    # relative code file names are relative to where the process started
except OSError:
    _START_DIR = "/"


def _absolute(name):
    return name if os.path.isabs(name) else os.path.normpath(os.path.join(_START_DIR, name))


_STRICT_REALPATH = sys.version_info >= (3, 10)


def _real(path):
    """os.path.realpath, strict where there is strict (3.10+): the lenient one
    ignores every OSError on the way, a TimeoutError that a signal handler
    raises meanwhile included, which then never reaches the program."""
    if not _STRICT_REALPATH:
        return os.path.realpath(path)
    try:
        return os.path.realpath(path, strict=True)
    except OSError as e:
        if raised_by_program(e):
            raise
        return os.path.realpath(path)   # a file that is gone: resolved as far as it goes


def _library_roots():
    # The folder of os.py is the standard library (sysconfig would cost ~4 ms
    # of start-up in every process of the run).
    roots = {os.path.realpath(os.path.dirname(os.__file__))}
    for base in (sys.prefix, sys.base_prefix, sys.exec_prefix):
        roots.add(os.path.realpath(os.path.join(base, "lib", "python%d.%d" % sys.version_info[:2])))
    return tuple(r + os.sep for r in roots)


_LIBRARY_ROOTS = _library_roots()


def _user_code(code):
    """User code: not the standard library (site-/dist-packages count as the
    user's: pandas, joblib) and not this tracer."""
    cid = id(code)
    known = _is_user.get(cid)
    if known is not None:
        return known
    name = code.co_filename
    user = _file_is_user.get(name)
    if user is None:
        if name.startswith("<"):
            user = name in ("<stdin>", "<string>")
        else:
            path = _real(_absolute(name))
            if path.startswith(_RUNTIME_DIR + os.sep):
                user = False
            elif "site-packages" in path or "dist-packages" in path:
                user = True
            else:
                user = not path.startswith(_LIBRARY_ROOTS)
        _file_is_user[name] = user
    forget_with(code, _is_user, cid)
    _is_user[cid] = user
    return user


def is_user_frame(frame):
    return _user_code(frame.f_code)


def is_user_code(code):
    return _user_code(code)


def _define(frame):
    code = frame.f_code
    line = frame.f_lineno or code.co_firstlineno
    key = (code.co_filename, line)
    sid = _by_place.get(key)
    if sid is None:
        sid = _next_site()
        # SITE is not a span: its end field carries the function name.  The
        # record is written before the id is shared: another thread's record
        # naming this site always comes after it in the file.
        writer.point_at(events.SITE, writer.monotonic_ns(), writer.get_ident(), sid, 0,
                        writer.intern(_absolute(code.co_filename)), line,
                        end=writer.intern(code.co_name))
        _by_place[key] = sid
    return sid


def site(depth=1):
    """Site id of the user code that called the function calling site().

    depth=1 means the caller of the function that calls site()."""
    try:
        f = _getframe(depth + 1)
    except ValueError:
        return 0
    code = f.f_code
    key = (id(code), f.f_lasti)
    sid = _by_instruction.get(key)
    if sid is not None:
        return sid
    if _user_code(code):
        sid = _define(f)
        forget_with(code, _by_instruction, key)     # first: never an entry that outlives its code
        _by_instruction[key] = sid
        return sid
    while f is not None and not _user_code(f.f_code):
        f = f.f_back
    return _define(f) if f is not None else 0


def frame_site(f):
    """Site id of user-code frame f, which need not be on this thread's stack
    (a suspended coroutine's frame)."""
    code = f.f_code
    key = (id(code), f.f_lasti)
    sid = _by_instruction.get(key)
    if sid is None:
        sid = _define(f)
        forget_with(code, _by_instruction, key)
        _by_instruction[key] = sid
    return sid


def reset_after_fork():
    """Site ids are per file; the child writes a new file."""
    global _next_site
    _by_instruction.clear()
    _by_place.clear()
    _next_site = itertools.count(1).__next__
