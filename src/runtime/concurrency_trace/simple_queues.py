"""queue.SimpleQueue (threads): traced like queue.Queue (queues.py).

queue.SimpleQueue is usually the C _queue.SimpleQueue, whose methods cannot
be patched: queue.SimpleQueue (and _queue.SimpleQueue, where pickle looks it
up) becomes a subclass of it with the same name, qualified name, repr,
pickling refusal and attribute errors; a SimpleQueue the standard library
makes for itself is a plain C instance as before (no cost at all).  The C
methods take *args: an argument error is the C method's own message.
"""
from . import patching, safe_values, safety, writer as _w
from .queues import _make_get, _make_put, _new_state

_hide = safety.hide
_KEEP_RECURSION = safety.KEEP_RECURSION_ERRORS


def patch(module, _originals):
    Base = module.SimpleQueue
    if getattr(Base, "_ct_wrapped", False):
        return
    base_new = Base.__new__
    base_put = Base.put
    base_get = Base.get
    base_put_nowait = Base.put_nowait
    base_get_nowait = Base.get_nowait
    python_base = base_new is object.__new__
    # The C put(item, block=True, timeout=None) / get(block=True, timeout=None)
    # take their arguments by position too: the traced bodies call them so.
    traced_put = _make_put(base_put, module.Full)
    traced_get = _make_get(base_get, module.Empty)

    class SimpleQueue(Base):
        __slots__ = ("_ctrace",)
        _ct_wrapped = True

        def __new__(cls, *args, **kwargs):
            try:
                st = None
                if cls is SimpleQueue:
                    st = _new_state("SimpleQueue", 1, False)
                    if st is None:
                        return Base(*args, **kwargs)   # the stdlib's own: untouched
                elif _w.enabled:
                    st = _new_state(safe_values.qualname_of(cls), 1, False)
                self = base_new(cls) if python_base else base_new(cls, *args, **kwargs)
                self._ctrace = st
                return self
            except BaseException as exc:
                _hide(exc)
                raise

        # The traced put / get take *args (an argument error is the
        # original's own, C or Python).
        put = traced_put
        get = traced_get

        def put_nowait(self, *args, **kwargs):
            try:
                if len(args) == 1 and not kwargs:
                    return traced_put(self, args[0], False)
                return base_put_nowait(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise

        def get_nowait(self, *args, **kwargs):
            try:
                if not args and not kwargs:
                    return traced_get(self, False)
                return base_get_nowait(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise

    if not python_base:
        base_reduce_ex = Base.__reduce_ex__
        message = "cannot pickle '%s.%s' object" % (Base.__module__, Base.__qualname__)

        def __reduce_ex__(self, protocol):
            try:
                if type(self) is SimpleQueue:
                    raise TypeError(message)     # what the C type's instances say
                return base_reduce_ex(self, protocol)
            except BaseException as exc:
                _hide(exc)
                raise

        # Attribute errors name the C type, as an untraced instance's do (the
        # probe is one: it raises exactly what the program would see).
        probe = Base()

        def __getattr__(self, name):
            try:
                if type(self) is SimpleQueue:
                    return getattr(probe, name)
                return object.__getattribute__(self, name)
            except BaseException as exc:
                _hide(exc)
                raise

        def __setattr__(self, name, value):
            try:
                if type(self) is SimpleQueue and name != "_ctrace":
                    object.__setattr__(probe, name, value)
                object.__setattr__(self, name, value)
            except BaseException as exc:
                _hide(exc)
                raise

        def __delattr__(self, name):
            try:
                if type(self) is SimpleQueue and name != "_ctrace":
                    object.__delattr__(probe, name)
                object.__delattr__(self, name)
            except BaseException as exc:
                _hide(exc)
                raise

        SimpleQueue.__reduce_ex__ = __reduce_ex__
        SimpleQueue.__getattr__ = __getattr__
        SimpleQueue.__setattr__ = __setattr__
        SimpleQueue.__delattr__ = __delattr__
    for name in ("put", "put_nowait", "get", "get_nowait"):
        fn = patching.copy_identity(SimpleQueue.__dict__[name], getattr(Base, name))
        if not python_base:
            # The C methods have no __module__: pickle finds these by their
            # qualified name in the module that holds SimpleQueue.
            fn.__module__ = None
    for name in ("__new__", "__reduce_ex__", "__getattr__", "__setattr__", "__delattr__"):
        fn = SimpleQueue.__dict__.get(name)
        fn = getattr(fn, "__func__", fn)
        if fn is not None:
            fn.__qualname__ = Base.__qualname__ + "." + name
            fn.__module__ = Base.__module__
    SimpleQueue.__module__ = Base.__module__
    SimpleQueue.__qualname__ = Base.__qualname__
    SimpleQueue.__name__ = Base.__name__
    SimpleQueue.__doc__ = Base.__doc__
    _originals["SimpleQueue"] = Base
    _originals["SimpleQueue.module"] = module
    patching.replace_global(module, "SimpleQueue", SimpleQueue)
