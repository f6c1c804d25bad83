"""The C accelerator _ctnative (sources and build: native/ at the top of the
repository): found, checked and configured here.  load() returns the module,
or None when the pure-Python path runs; `status` says which and why.

Where the builds are: _native/ next to this file.  _ctnative<EXT_SUFFIX>
(e.g. _ctnative.cpython-311-x86_64-linux-gnu.so) is the build for one
interpreter version (full C API: 3.8-3.11 need it); _ctnative.abi3.so is the
stable-ABI build (Py_LIMITED_API 3.12) that every CPython 3.12+ with the GIL
loads.  The version's own build is preferred.  Free-threaded and debug
builds have other suffixes and run the pure-Python path.

Not used when: CONCURRENCY_TRACE_NATIVE=0; not Linux x86-64 CPython; no build
for this interpreter; the build fails to load or is of another API_VERSION;
configure() fails.  A failure is never the program's: the pure-Python path
records the same events.
"""
import _thread
import os
import sys

API_VERSION = 1
HERE = os.path.join(os.path.dirname(__file__), "_native")

status = "not loaded yet"
module = None
_loaded = False


def candidates():
    """Paths of the builds this interpreter may load, preferred first
    (CONCURRENCY_TRACE_NATIVE=abi3: the stable-ABI build only, to test it)."""
    from importlib.machinery import EXTENSION_SUFFIXES
    out = []
    for suffix in EXTENSION_SUFFIXES:
        if suffix.startswith(".cpython-") and os.environ.get("CONCURRENCY_TRACE_NATIVE") != "abi3":
            out.append(os.path.join(HERE, "_ctnative" + suffix))
    if sys.version_info >= (3, 12) and ".abi3.so" in EXTENSION_SUFFIXES:
        out.append(os.path.join(HERE, "_ctnative.abi3.so"))
    return out


def _usable_platform():
    if os.environ.get("CONCURRENCY_TRACE_NATIVE", "") == "0":
        return "disabled by CONCURRENCY_TRACE_NATIVE=0"
    if sys.implementation.name != "cpython" or not sys.platform.startswith("linux"):
        return "not CPython on Linux"
    if os.uname().machine != "x86_64":
        return "not x86-64"
    gil = getattr(sys, "_is_gil_enabled", None)
    if gil is not None and not gil():
        return "free-threaded build (the accelerator relies on the GIL)"
    return None


def _import(path):
    from importlib.machinery import ExtensionFileLoader, ModuleSpec
    name = __package__ + "._ctnative"
    loader = ExtensionFileLoader(name, path)
    spec = ModuleSpec(name, loader, origin=path)
    mod = loader.create_module(spec)
    loader.exec_module(mod)
    return mod


def configure(mod, **changes):
    """Start the module recording into the writer (changes: for tests)."""
    import threading
    import types
    from . import guard, lock_records, lock_slow, writer
    from .events import LOCK_HOLD, LOCK_TRY_FAIL, LOCK_WAIT
    settings = dict(writer=writer, site_lookup=lock_records.native_site, runtime_prefix=lock_slow.PREFIX,
                    allocate_lock=_thread.allocate_lock, rlock_type=_thread.RLock,
                    classify=guard.raised_by_program, method_type=types.MethodType,
                    kinds=(LOCK_WAIT, LOCK_HOLD, LOCK_TRY_FAIL),
                    main_ident=threading.main_thread().ident,
                    debug=bool(os.environ.get("CONCURRENCY_TRACE_DEBUG")),
                    enter_takes_args=lock_slow.ENTER_TAKES_ARGS, exit_takes_any=lock_slow.EXIT_TAKES_ANY)
    from . import perturb
    if perturb.enabled:
        # Its point before every acquire (a build without this setting refuses it: the Python path then).
        settings["perturb_point"] = perturb.point_in_wrapper
    settings.update(changes)
    mod.configure(**settings)


def load():
    """The configured module, or None (then `status` says why)."""
    global module, status, _loaded
    if _loaded:
        return module
    _loaded = True
    why = _usable_platform()
    if why is not None:
        status = why
        return None
    tried = []
    for path in candidates():
        if not os.path.exists(path):
            continue
        try:
            mod = _import(path)
            if getattr(mod, "API_VERSION", None) != API_VERSION:
                tried.append("%s: API %r, not %d" % (os.path.basename(path), getattr(mod, "API_VERSION", None),
                                                     API_VERSION))
                continue
            configure(mod)
        except Exception as e:
            tried.append("%s: %s: %s" % (os.path.basename(path), type(e).__name__, e))
            if os.environ.get("CONCURRENCY_TRACE_DEBUG"):
                raise
            continue
        module = mod
        status = "loaded " + os.path.basename(path)
        return mod
    status = "; ".join(tried) if tried else "no build for this interpreter in " + HERE
    return None


def after_fork_in_child():
    """Site ids are per process file; the forking thread is the main one."""
    if module is not None:
        import threading
        module.reset(threading.main_thread().ident)
