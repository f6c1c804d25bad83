"""Shared memory: Manager Namespace / list / dict / Value / Array proxies
(client side): SHARED_READ / SHARED_WRITE at the user's line for every call
of a proxy method, OBJECT where the user's code creates the proxy (see
shared.py for the records and ids).  Arguments, results and keys are
summarised without running any of the program's code (safe_values); a
failed call is "!Type".
"""
import functools
import sys

from . import manager_calls, patching, safe_values, safety, sites, writer
from .shared import (_SHARED_READ, _SHARED_WRITE, call_summary, derived_id, part, record_object,
                     summary)

_getframe = sys._getframe
_failed = safety.failed
_hide = safety.hide


# method -> (is_write, keyed): keyed = args[0] names the element / attribute.
_NAMESPACE = {"__getattribute__": (False, True), "__setattr__": (True, True),
              "__delattr__": (True, True)}
_LIST = {"__setitem__": (True, True), "__getitem__": (False, True),
         "__delitem__": (True, False), "append": (True, False), "extend": (True, False),
         "insert": (True, False), "pop": (True, False), "remove": (True, False),
         "reverse": (True, False), "sort": (True, False), "clear": (True, False),
         "__iadd__": (True, False), "__imul__": (True, False)}
_DICT = {"__setitem__": (True, True), "__getitem__": (False, True),
         "__delitem__": (True, True), "__contains__": (False, True), "get": (False, True),
         "pop": (True, True), "setdefault": (True, True), "popitem": (True, False),
         "update": (True, False), "clear": (True, False), "__ior__": (True, False)}
_VALUE = {"get": (False, False), "set": (True, False)}
_ARRAY = {"__setitem__": (True, True), "__getitem__": (False, True)}
_READ_WHOLE = (False, False)

_proxy_codes = set()   # code of MakeProxyType's generated methods ("<string>")


def _proxy_site():
    """Site of the user's call into a proxy method: skips the generated
    one-line methods, which sites would take for user code ("<string>")."""
    f = _getframe(4)    # 0 here, 1 _proxy_record, 2 _shared_call, 3 _callmethod, 4 its caller
    depth = 4
    while f is not None and f.f_code in _proxy_codes:
        f = f.f_back
        depth += 1
    return sites.site(depth)


def _text(v):
    """The full repr of a manager address (str, bytes, int or tuples of
    them); a type name for anything else."""
    t = type(v)
    if t is str or t is bytes or t is int:
        return t.__repr__(v)
    if t is tuple:
        return "(" + ", ".join(_text(x) for x in v) + ")"
    return "<%s>" % safe_values.type_name(v)


def _proxy_id(proxy):
    oid = proxy.__dict__.get("_ct_id")
    if oid is None:
        token = proxy._token
        oid = derived_id("mgr:%s:%s" % (_text(token.address),
                                        token.id if type(token.id) is str else _text(token.id)))
        object.__setattr__(proxy, "_ct_id", oid)
    return oid


def patch(mg):
    BaseProxy = mg.BaseProxy
    if "_ct_shared_patched" in BaseProxy.__dict__:
        return
    BaseProxy._ct_shared_patched = True
    dict_base = getattr(mg, "_BaseDictProxy", mg.DictProxy)
    tables = ((mg.NamespaceProxy, _NAMESPACE), (mg.BaseListProxy, _LIST),
              (dict_base, _DICT), (mg.ValueProxy, _VALUE), (mg.ArrayProxy, _ARRAY))
    for cls in (mg.BaseListProxy, mg.ListProxy, mg.DictProxy, dict_base, mg.ArrayProxy):
        for value in vars(cls).values():
            code = getattr(value, "__code__", None)
            if code is not None and code.co_filename == "<string>":
                _proxy_codes.add(code)

    handlers = [(cls, functools.partial(_shared_call, table)) for cls, table in tables]

    def choose(t):
        for cls, handler in handlers:
            if safe_values.is_subclass(t, cls):
                return handler
        return None
    manager_calls.register(mg, "shared", choose)

    SyncManager = mg.SyncManager
    for typeid, type_name in (("list", "Manager.list"), ("dict", "Manager.dict"),
                              ("Namespace", "Manager.Namespace"), ("Value", "Manager.Value"),
                              ("Array", "Manager.Array")):
        orig = SyncManager.__dict__.get(typeid)
        if orig is not None:
            setattr(SyncManager, typeid, _proxy_creator(orig, type_name))
    _patch_register(mg, choose)


def _patch_register(mg, choose):
    """A typeid the program registers on its own manager class with a shared
    proxy type (`register('get_results', callable=lambda: results,
    proxytype=DictProxy)`): its creating method records the OBJECT, named by
    the user's variable, as SyncManager.dict() does.  Other proxy types
    (AutoProxy, queues, locks) are left to their own areas."""
    BaseManager = mg.BaseManager
    orig = BaseManager.__dict__.get("register")
    func = getattr(orig, "__func__", None)
    if type(orig) is not classmethod or func is None or patching.is_wrapped(func):
        return
    mgr_globals = mg.__dict__

    def register(cls, *args, **kwds):
        try:
            result = func(cls, *args, **kwds)
        except BaseException as exc:
            _hide(exc)
            raise
        try:
            typeid = args[0] if args else kwds.get("typeid")
            proxytype = args[2] if len(args) > 2 else kwds.get("proxytype")
            made = cls.__dict__.get(typeid) if type(typeid) is str else None
            code = getattr(made, "__code__", None)
            if (code is not None and code.co_name == "temp" and getattr(made, "__globals__", None) is mgr_globals
                    and type(proxytype) is type and choose(proxytype) is not None):
                type.__setattr__(cls, typeid, _proxy_creator(made, "%s.%s" % (cls.__name__, typeid)))
        except Exception:
            _failed()
        return result
    BaseManager.register = classmethod(patching.copy_identity(register, func))


def _shared_call(table, proxy, orig, methodname, args, kwds):
    """The handler of a shared proxy's calls (manager_calls)."""
    try:
        result = orig(proxy, methodname, args, kwds)
    except BaseException as exc:
        try:
            _proxy_record(proxy, table, methodname, args, None, exc)
        except Exception:
            _failed()
        raise
    try:
        _proxy_record(proxy, table, methodname, args, result, None)
    except Exception:
        _failed()
    return result


def _proxy_record(self, table, methodname, args, result, exc):
    is_write, keyed = table.get(methodname, _READ_WHOLE) if type(methodname) is str else _READ_WHOLE
    where = part(args[0]) if keyed and args else 0
    if exc is not None:
        text = writer.intern("!" + safe_values.type_name(exc))
    elif not is_write:
        text = summary(result)
    elif methodname in ("__setitem__", "__setattr__") and len(args) == 2:
        text = summary(args[1])
    elif methodname == "set" and len(args) == 1:
        text = summary(args[0])
    else:
        text = call_summary(methodname if type(methodname) is str else "?", args)
    writer.point(_SHARED_WRITE if is_write else _SHARED_READ, _proxy_id(self),
                 _proxy_site(), text, where)


def _proxy_creator(orig, type_name):
    hide = _hide

    def create(self, *args, **kwds):
        try:
            proxy = orig(self, *args, **kwds)
        except BaseException as exc:
            hide(exc)
            raise
        try:
            if writer.enabled:
                record_object(_proxy_id(proxy), type_name, 1)
        except Exception:
            _failed()
        return proxy
    patching.copy_identity(create, orig)
    return create
