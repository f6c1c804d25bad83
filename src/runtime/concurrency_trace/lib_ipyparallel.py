"""ipyparallel: apply / apply_sync / apply_async / map calls as tasks from
the client to the engine that ran them (engines this run traces: ones an
ipp.Cluster or ipcluster started under the tracer).  Installed when the
program imports ipyparallel's client or engine, never importing them itself.

Both sides know the request's message id (a uuid in the message header the
client sends and the engine's reply names as its parent): task id =
task_base(IPP_MSG, crc32 of the id, its length, 0).  Records:
  TASK_SUBMIT in Client.send_apply_request (every apply and map chunk goes
    through it): b = the function's name, site = the user's line, the pool
    object: the Client (OBJECT a="ipyparallel", b="ipyparallel.Client").
  TASK_RUN on the engine around IPythonParallelKernel.do_apply: a = the
    function's name, b = its argument summary (both known once the engine
    has unpacked the request).
  TASK_RESULT in the client's thread that handles the apply_reply: a=1 when
    its status is "ok", else 0.
execute / run (code strings; run sends the file's text through execute) are
tasks the same way: TASK_SUBMIT in Client.send_execute_request, TASK_RUN on
the engine around the kernel's execute_request, TASK_RESULT with the
execute_reply; the label (b of TASK_SUBMIT, a of TASK_RUN) is the code's
first non-blank line, at most 60 characters (never a user object's repr).
Broadcast-coalesced replies are not tasks.
"""
import threading
import zlib

from . import events, lib_sites, patching, safe_values, safety, writer
from .task_ids import owner_id, set_owner_id, task_base

_failed = safety.failed
_hide = safety.hide

IPP_MSG = 8         # task_ids domain: (8, crc32(msg id), len(msg id), 0)
_tls = threading.local()    # engine: .unpacked = (f, args, kwargs) of the request being applied


def install():
    from . import processes
    processes.when_imported("ipyparallel.serialize.serialize", _patch_prepickled)
    processes.when_imported("ipyparallel.client.client", _patch_client)
    processes.when_imported("ipyparallel.engine.kernel", _patch_engine)


def after_fork_in_child():
    _tls.__dict__.clear()


def task_id(msg_id):
    data = msg_id.encode("utf-8", "replace")
    return task_base(IPP_MSG, zlib.crc32(data), len(data), 0)


_user_site = lib_sites.user_site

def _client_object(client):
    oid = owner_id(client)
    if not oid:
        oid = writer.new_object_id()
        set_owner_id(client, oid)
        writer.point(events.OBJECT, oid, _user_site(), writer.intern("ipyparallel"),
                     writer.intern("ipyparallel.Client"))
    return oid


_prepickled = {}    # id(PrePickled) -> (weak reference, name of the callable it wraps)


def _patch_prepickled(mod):
    """Views send f wrapped in PrePickled (pickled once for every engine):
    the name of what it wraps, for TASK_SUBMIT."""
    PrePickled = getattr(mod, "PrePickled", None)
    if PrePickled is None or patching.is_wrapped(PrePickled.__dict__.get("__init__")):
        return
    from _weakref import ref

    def make(orig):
        def __init__(self, obj, *args, **kwargs):
            try:
                orig(self, obj, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            try:
                if writer.enabled:
                    key = id(self)
                    wr = ref(self, lambda r, key=key: _prepickled.get(key, (None,))[0] is r and _prepickled.pop(key, None))
                    _prepickled[key] = (wr, _func_name(obj))    # (obj may be a PrePickled itself)
            except Exception:
                _failed()
        return __init__
    patching.wrap(PrePickled, "__init__", make)


def _func_name(f):
    hit = _prepickled.get(id(f))
    if hit is not None and hit[0]() is f:
        return hit[1]
    return safe_values.func_name(f)


_LABEL_CHARS = 60


def code_label(code):
    """The first non-blank line of a code string, stripped, at most 60 characters."""
    if type(code) is not str:
        return "execute"
    for line in code.split("\n", 50)[:50]:
        line = line.strip()
        if line:
            return line if len(line) <= _LABEL_CHARS else line[:_LABEL_CHARS - 1] + "\u2026"
    return "execute"


def _reply_result(msg):
    """TASK_RESULT for an apply_reply / execute_reply message."""
    if type(msg) is dict:
        parent = msg.get("parent_header")
        content = msg.get("content")
        msg_id = parent.get("msg_id") if type(parent) is dict else None
        if type(msg_id) is str:
            ok = 1 if type(content) is dict and content.get("status") == "ok" else 0
            writer.point(events.TASK_RESULT, task_id(msg_id), 0, ok)


def _make_reply(orig):
    def handle_reply(self, msg):
        try:
            if writer.enabled:
                _reply_result(msg)
        except Exception:
            _failed()
        return orig(self, msg)
    return handle_reply


def _patch_client(mod):
    Client = getattr(mod, "Client", None)
    if Client is None or patching.is_wrapped(Client.__dict__.get("send_apply_request")):
        return
    if "send_execute_request" in Client.__dict__:
        def make_execute(orig):
            def send_execute_request(self, socket, code, *args, **kwargs):
                try:
                    t0 = writer.monotonic_ns()
                    future = orig(self, socket, code, *args, **kwargs)
                except BaseException as exc:
                    _hide(exc)
                    raise
                try:
                    msg_id = getattr(future, "__dict__", {}).get("msg_id")
                    if writer.enabled and type(msg_id) is str:
                        writer.point_at(events.TASK_SUBMIT, t0, writer.get_ident(), task_id(msg_id),
                                        _user_site(), _client_object(self), writer.blob(code_label(code)))
                except Exception:
                    _failed()
                return future
            return send_execute_request
        patching.wrap(Client, "send_execute_request", make_execute)
    if "_handle_execute_reply" in Client.__dict__:
        patching.wrap(Client, "_handle_execute_reply", _make_reply)

    def make_send(orig):
        def send_apply_request(self, socket, f, *args, **kwargs):
            try:
                t0 = writer.monotonic_ns()
                future = orig(self, socket, f, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            try:
                msg_id = getattr(future, "__dict__", {}).get("msg_id")
                if writer.enabled and type(msg_id) is str:
                    writer.point_at(events.TASK_SUBMIT, t0, writer.get_ident(), task_id(msg_id),
                                    _user_site(), _client_object(self),
                                    writer.intern(_func_name(f)))
            except Exception:
                _failed()
            return future
        return send_apply_request
    patching.wrap(Client, "send_apply_request", make_send)

    if "_handle_apply_reply" in Client.__dict__:
        patching.wrap(Client, "_handle_apply_reply", _make_reply)


def _patch_engine(mod):
    Kernel = getattr(mod, "IPythonParallelKernel", None)
    orig_unpack = getattr(mod, "unpack_apply_message", None)
    if Kernel is None or orig_unpack is None or patching.is_wrapped(Kernel.__dict__.get("do_apply")):
        return

    # The span begins once do_apply has unpacked the request (its function and
    # arguments known) and ends when do_apply returns.
    def unpack_apply_message(*args, **kwargs):
        result = orig_unpack(*args, **kwargs)
        try:
            msg_id = _tls.__dict__.pop("msg_id", None)
            if msg_id is not None and writer.enabled and type(result) is tuple and len(result) == 3:
                f, fargs, fkwargs = result
                argtext = 0
                if type(fargs) in (tuple, list) and (fkwargs is None or type(fkwargs) is dict):
                    argtext = writer.blob(safe_values.summary(fargs, fkwargs))
                _tls.span = writer.begin(events.TASK_RUN, task_id(msg_id), 0,
                                         writer.intern(safe_values.func_name(f)), argtext)
        except Exception:
            _failed()
        return result
    mod.unpack_apply_message = patching.copy_identity(unpack_apply_message, orig_unpack)

    def make_apply(orig):
        def do_apply(self, content, bufs, msg_id, *args, **kwargs):
            try:
                _tls.span = 0
                _tls.msg_id = msg_id if type(msg_id) is str else None
            except Exception:
                _failed()
            try:
                return orig(self, content, bufs, msg_id, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            finally:
                try:
                    _tls.msg_id = None
                    span, _tls.span = _tls.__dict__.get("span", 0), 0
                    if span:
                        writer.finish_time(span)
                except Exception:
                    _failed()
        return do_apply
    patching.wrap(Kernel, "do_apply", make_apply)
    _patch_execute(Kernel)


def _patch_execute(Kernel):
    """The engine's execute_request (ipykernel's, a coroutine function): a
    TASK_RUN around it in an ipyparallel engine's kernel."""
    owner = None
    for cls in Kernel.__mro__:
        if "execute_request" in cls.__dict__:
            owner = cls
            break
    if owner is None or patching.is_wrapped(owner.__dict__["execute_request"]):
        return
    import inspect
    if not inspect.iscoroutinefunction(owner.__dict__["execute_request"]):
        return

    def make(orig):
        async def execute_request(self, stream, ident, parent, *args, **kwargs):
            span = 0
            try:
                if writer.enabled and safe_values.is_subclass(type(self), Kernel):
                    span = _execute_span(parent)
            except Exception:
                _failed()
            try:
                return await orig(self, stream, ident, parent, *args, **kwargs)
            finally:
                if span:
                    try:
                        writer.finish_time(span)
                    except Exception:
                        _failed()
        return execute_request
    patching.wrap(owner, "execute_request", make)


def _execute_span(parent):
    if type(parent) is not dict:
        return 0
    header = parent.get("header")
    content = parent.get("content")
    msg_id = header.get("msg_id") if type(header) is dict else None
    if type(msg_id) is not str or type(content) is not dict:
        return 0
    return writer.begin(events.TASK_RUN, task_id(msg_id), 0, writer.blob(code_label(content.get("code"))), 0)
