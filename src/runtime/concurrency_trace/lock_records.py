"""Call sites and records shared by the lock modules (locks, sync_primitives,
mp_locks, manager_locks).  The helpers for the slow paths never raise: a
tracer failure drops the record (see guard.tracer_failed)."""
import struct
import sys
import time

from . import guard, sites, writer
from .events import LOCK_HOLD, LOCK_WAIT

_w = writer
_getframe = sys._getframe
_mono = time.monotonic_ns
_pack_end1 = writer._pack_end1

# Shared with the other areas: drop tracer failures, pass asynchronous exceptions on.
debug = guard.tracer_failed

originals = {}      # (class, name) or factory name -> the original, for the record

_min_off = 64       # offsets below this were written by a parent process


def read_min_off():
    """At install and after fork: spans below this offset are a parent's."""
    global _min_off
    try:
        _min_off = struct.unpack_from("<q", _w._mm, 40)[0] << 6
    except Exception:
        _min_off = 64


# --------------------------------------------------------------------------
# Call sites

site_cache = {}     # (id(code), f_lasti) -> site id, for user frames only
_user_codes = {}    # id(code) -> is user code
# Both are keyed by id(code) without keeping the code alive: sites.forget_with
# drops an entry when its code is freed, before the id can be reused (a
# program that exec()s 100 000 snippets taking a lock keeps none of them).


def is_user(f):
    cid = id(f.f_code)
    user = _user_codes.get(cid)
    if user is None:
        user = _user_codes[cid] = bool(sites.is_user_frame(f))
        sites.forget_with(f.f_code, _user_codes, cid)
    return user


def site_for(f):
    """Site id of frame f, or of the first user frame outside it; cached."""
    while f is not None:
        key = (id(f.f_code), f.f_lasti)
        sid = site_cache.get(key)
        if sid is not None:
            return sid
        if is_user(f):
            g = _getframe(0)
            depth = 0
            while g is not None and g is not f:
                g = g.f_back
                depth += 1
            if g is None:
                return 0
            sid = site_cache[key] = sites.site(depth)
            sites.forget_with(f.f_code, site_cache, key)
            return sid
        f = f.f_back
    return 0


def native_site(f):
    """For the C accelerator's site cache (native/ct_sites.c): the site id of
    frame f, and whether f is user code (then the id may be cached under f's
    own code and instruction)."""
    return site_for(f), is_user(f)


def site_of(f):
    sid = site_cache.get((id(f.f_code), f.f_lasti))
    return sid if sid is not None else site_for(f)


def user_frame(f):
    while f is not None and not is_user(f):
        f = f.f_back
    return f


# --------------------------------------------------------------------------
# Records for the slow paths (never raise)

def _site_or_none(f):
    """Site id of f; 0 (the record without its site, rather than no record)
    if the tracer fails looking it up."""
    try:
        return site_of(f)
    except Exception:
        debug()     # the program's exception goes on
    return 0


def point(kind, obj, f, a=0, b=0):
    if _w.enabled:
        try:
            _w.point(kind, obj, _site_or_none(f), a, b)
        except Exception:
            debug()     # a claimed slot is marked dropped (counted lost) by the writer


def begin(kind, obj, f, a=0):
    if _w.enabled:
        try:
            return _w.begin(kind, obj, _site_or_none(f), a)
        except Exception:
            debug()
    return 0


def finish(off, a=0, b=0):
    if off and _w.enabled:
        try:
            _w.finish(off, a, b)
        except Exception:
            debug()


def end_hold(off, t=0):
    """End of a LOCK_HOLD span (a and b stay 0) at t (now if 0).  Holds end at
    the time read just before the real release, so the holds of one lock
    never overlap."""
    if off >= _min_off and _w.enabled:
        try:
            _pack_end1(_w._mm, off + 40, t or _mono())
        except Exception:
            debug()


# --------------------------------------------------------------------------
# Patching

def wrap(cls, name, make):
    """cls.name = make(original), looking like the original; returns it."""
    orig = cls.__dict__[name]
    fn = make(orig)
    fn.__name__ = orig.__name__
    fn.__qualname__ = orig.__qualname__
    fn.__doc__ = orig.__doc__
    fn.__wrapped__ = orig
    setattr(cls, name, fn)
    originals[(cls, name)] = orig
    return orig
