"""Manager queues (client side): a proxy whose referent has put and get
(Manager().Queue(), a registered queue): spans on the client with content
keys of the items (plain data only: pickling anything else a second time
could run user code).  Wrappers follow queues.py's rules (safety)."""
import sys

from . import events, manager_calls, patching, perturb, pipes, safe_values, safety, sites, writer as _w

QUEUE_PUT = events.QUEUE_PUT
QUEUE_GET = events.QUEUE_GET
QUEUE_TASK_DONE = events.QUEUE_TASK_DONE
QUEUE_JOIN = events.QUEUE_JOIN

_getframe = sys._getframe
_is_user = sites.is_user_frame
_site = sites.site
_begin = _w.begin
_finish = _w.finish
_finish_time = _w.finish_time
_failed = safety.failed
_hide = safety.hide

_QMETHODS = frozenset(("put", "get", "put_nowait", "get_nowait", "task_done", "join"))
_queue_like_types = {}
_SCALARS = frozenset((type(None), bool, int, float, complex, str, bytes))
_saved = {}


def _queue_like_type(t):
    """A proxy type whose referent has put and get (its _exposed_, read from
    the class dicts)."""
    exposed = safe_values.class_attr(t, "_exposed_") or ()
    return type(exposed) in (tuple, list, frozenset, set) and "put" in exposed and "get" in exposed


def _queue_like(proxy):
    t = type(proxy)
    hit = _queue_like_types.get(id(t))
    if hit is None or hit[0] is not t:
        hit = _queue_like_types[id(t)] = (t, _queue_like_type(t))
    return hit[1]


def _qid(proxy):
    qid = proxy.__dict__.get("_ct_qid")
    if not qid:
        import hashlib
        token = proxy._token
        digest = hashlib.blake2b(repr((token.address, token.id)).encode("utf-8", "replace"),
                                 digest_size=8).digest()
        qid = pipes.MANAGER_BASE | (int.from_bytes(digest, "little") & ((1 << 51) - 1))
        proxy._ct_qid = qid
    return qid


def _plain(x, budget):
    """Remaining budget if x is plain data (pickles to the same bytes after a
    round trip through the manager), else -1."""
    t = type(x)
    if t in _SCALARS:
        return budget - 1
    if t is tuple or t is list:
        budget -= 1
        for y in x:
            budget = _plain(y, budget)
            if budget < 0:
                return -1
        return budget
    if t is dict:
        budget -= 1
        for k, v in x.items():
            budget = _plain(v, _plain(k, budget))
            if budget < 0:
                return -1
        return budget
    return -1


def _item_key(x):
    """Content key of an item sent through a Manager queue: plain data only
    (anything else could run user code when pickled a second time)."""
    if _plain(x, 2000) < 0:
        return 0
    import pickle
    return pipes.content_key(pickle.dumps(x, 4))


def patch(module):
    BaseProxy = module.BaseProxy
    if patching.is_wrapped(BaseProxy.__dict__.get("__init__")):
        return
    managers_file = BaseProxy.__init__.__code__.co_filename

    def make_init(orig):
        def __init__(self, token, *args, **kwargs):
            try:
                orig(self, token, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            try:
                if _w.enabled and _queue_like(self):
                    f = _getframe(1)
                    depth = 1
                    while f is not None and f.f_code.co_filename == managers_file:
                        f = f.f_back
                        depth += 1
                    if f is not None and _is_user(f):
                        typeid = token.typeid
                        pipes.write_object(_qid(self), "Manager." + (
                            typeid if type(typeid) is str else "?"), f, depth)
            except Exception:
                _failed()
        return __init__

    _saved[(BaseProxy, "__init__")] = patching.wrap(BaseProxy, "__init__", make_init)
    manager_calls.register(module, "queues",
                           lambda t: _traced_call if _queue_like_type(t) else None)


def _traced_call(proxy, orig, methodname, args, kwds):
    """The handler of a queue proxy's calls (manager_calls): frames: 0 here,
    1 BaseProxy._callmethod, 2 the proxy's method (or the user's code)."""
    if methodname not in _QMETHODS:
        return orig(proxy, methodname, args, kwds)
    if perturb.enabled:       # a point before a put / get through the manager
        perturb.point_in_wrapper()
    off = kind = a = flags = 0
    try:
        if True:
            f = _getframe(2)
            depth = 2
            if f.f_code.co_name == methodname:      # the proxy's own method
                f = f.f_back
                depth = 3
            if f is not None and _is_user(f):
                qid = _qid(proxy)
                if methodname in ("put", "put_nowait"):
                    item = args[0] if args else kwds.get("item", kwds.get("obj"))
                    kind, a = QUEUE_PUT, _item_key(item)
                elif methodname in ("get", "get_nowait"):
                    kind = QUEUE_GET
                else:
                    kind = QUEUE_TASK_DONE if methodname == "task_done" else QUEUE_JOIN
                flags = 2 if kind in (QUEUE_PUT, QUEUE_GET) else 0
                off = _begin(kind, qid, _site(depth), a, flags)
    except Exception:
        _failed()
    if not off:
        return orig(proxy, methodname, args, kwds)
    try:
        result = orig(proxy, methodname, args, kwds)
    except BaseException:
        try:
            if flags:
                _finish(off, a, flags | 1)
            else:
                _finish(off, 1, 0)
        except Exception:
            _failed()
        raise
    try:
        if kind == QUEUE_GET:
            _finish(off, _item_key(result), 2)
        else:
            _finish_time(off)
    except Exception:
        _failed()
    return result


def uninstall():
    for (cls, name), orig in _saved.items():
        setattr(cls, name, orig)
