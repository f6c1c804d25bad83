"""The one wrapper of multiprocessing.managers.BaseProxy._callmethod.

Every proxy method call goes through _callmethod; the areas that trace some
of them register a handler here (manager_queues: queue proxies,
shared_proxies: Namespace / list / dict / Value / Array proxies) instead of
patching it themselves, so every proxy class keeps BaseProxy's very
_callmethod (the same object, pickled by reference as before).  A proxy
type's handler is chosen once per type, from the type's own dicts (no
method of a program's proxy class runs).
"""
from . import patching, safety, writer as _w

_hide = safety.hide
_failed = safety.failed
_choosers = []      # (name, chooser(proxy type) -> handler or None)
_handlers = {}      # id(proxy type) -> (type, handler or None)


def register(mg, name, chooser):
    """Add chooser (called once per proxy type) and make sure the wrapper is
    installed on mg.BaseProxy."""
    if all(n != name for n, _ in _choosers):
        _choosers.append((name, chooser))
        _handlers.clear()
    _install(mg)


def _handler(t):
    hit = _handlers.get(id(t))
    if hit is not None and hit[0] is t:
        return hit[1]
    handler = None
    for _, chooser in _choosers:
        try:
            handler = chooser(t)
        except Exception:
            _failed()
            handler = None
        if handler is not None:
            break
    _handlers[id(t)] = (t, handler)
    return handler


def _install(mg):
    BaseProxy = mg.BaseProxy
    if patching.is_wrapped(BaseProxy.__dict__.get("_callmethod")):
        return

    def make(orig):
        def _callmethod(self, methodname, args=(), kwds={}):
            try:
                if not _w.enabled:
                    return orig(self, methodname, args, kwds)
                handler = None
                try:
                    handler = _handler(type(self))
                except Exception:
                    _failed()
                if handler is None:
                    return orig(self, methodname, args, kwds)
                return handler(self, orig, methodname, args, kwds)
            except BaseException as exc:
                _hide(exc)
                raise
        return _callmethod
    patching.wrap(BaseProxy, "_callmethod", make)


def uninstall(mg):
    fn = mg.BaseProxy.__dict__.get("_callmethod")
    if patching.is_wrapped(fn):
        mg.BaseProxy._callmethod = fn.__wrapped__
