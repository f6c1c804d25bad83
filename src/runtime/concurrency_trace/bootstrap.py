"""Start tracing this process: open its file, describe it, apply patches,
and follow it through fork and exit.

Start-up runs before sys.path[0] (the script's folder) is set, so whatever
the tracer imports then is the standard library's, cached in sys.modules
under its public name: a project's own json.py, mmap.py, struct.py… next to
the script would lose to it.  So the tracer imports no json at all (the
metadata is encoded here), and after start-up every module it added to
sys.modules that the script's folder shadows is taken out again (the tracer
keeps its references): the program's `import mmap` finds its own mmap.py, as
it would untraced.  sitecustomize imports the tracer with sys.path cut to the
interpreter's own folders, so a json.py on PYTHONPATH is not run by it either.  threading is the exception: the tracer must patch the
module the program uses, so a threading.py next to the script stays shadowed.
"""
import atexit
import os
import sys
import threading
import time

from . import events, patches, sites, writer
from .guard import tracer_failed

_main_thread_span = 0
_exit_recorded = False   # an exit with its code was written: shutdown adds none

# Modules that stay, whatever the script's folder holds.
_KEEP = frozenset(("threading", "sitecustomize", "concurrency_trace"))


def start():
    directory = os.environ["CONCURRENCY_TRACE_DIR"]
    if not os.path.isabs(directory):
        # A relative TMPDIR: resolved once, here, and handed on resolved, so a
        # child started after os.chdir() still finds the run's folder.
        directory = os.path.abspath(directory)
        os.environ["CONCURRENCY_TRACE_DIR"] = directory
    if not os.path.isdir(directory):
        return
    writer.open_process(directory, os.environ.get("CONCURRENCY_TRACE_TOKEN", ""))
    _announce_process()
    patches.install()
    os.register_at_fork(after_in_child=_after_fork_in_child)
    atexit.register(_at_exit)


def _meta():
    argv = list(getattr(sys, "orig_argv", None) or [sys.executable] + list(getattr(sys, "argv", [])))
    return _to_json({
        "argv": argv,
        "executable": sys.executable,
        "python": "%d.%d.%d" % sys.version_info[:3],
        "implementation": sys.implementation.name,
        "gil": _gil(),
        "cwd": _safe_cwd(),
        "wallNs": time.time_ns(),
        "monoNs": time.monotonic_ns(),
    })


try:
    from _json import encode_basestring_ascii as _quote
except ImportError:     # a build without the accelerator: the same output, slower
    def _quote(text):
        out = ['"']
        for ch in text:
            o = ord(ch)
            if ch == '"' or ch == "\\":
                out.append("\\" + ch)
            elif 0x20 <= o < 0x7F:
                out.append(ch)
            elif o > 0xFFFF:
                o -= 0x10000
                out.append("\\u%04x\\u%04x" % (0xD800 | (o >> 10), 0xDC00 | (o & 0x3FF)))
            else:
                out.append("\\u%04x" % o)
        out.append('"')
        return "".join(out)


def _to_json(value):
    """json.dumps for the metadata's types (dict, list, str, int, float, bool, None)."""
    if isinstance(value, str):
        return _quote(value)
    if value is None or value is True or value is False:
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(_quote(str(k)) + ": " + _to_json(v) for k, v in value.items()) + "}"
    return "[" + ", ".join(_to_json(v) for v in value) + "]"


def _gil():
    """"default": a build with the GIL; "enabled"/"disabled": a free-threaded
    build (abiflags "t", 3.13+) and its GIL now (sitecustomize traces only "enabled")."""
    if "t" not in getattr(sys, "abiflags", ""):
        return "default"
    return "enabled" if sys._is_gil_enabled() else "disabled"


def _safe_cwd():
    try:
        return os.getcwd()
    except OSError:
        return ""


def _script_dir():
    """The folder the interpreter will put first on sys.path (None: none)."""
    flags = sys.flags
    if getattr(flags, "isolated", 0) or getattr(flags, "safe_path", False):
        return None
    argv = getattr(sys, "argv", None) or [""]
    first = argv[0]
    if first in ("", "-c", "-m"):
        return _safe_cwd() or None
    if os.path.isdir(first):
        return first        # a folder with __main__.py
    return os.path.dirname(os.path.realpath(first))


def unshadow(before, user_paths):
    """Take the modules that start-up added to sys.modules (not in `before`)
    out again where one of the user's folders (the script's, and the
    sys.path entries outside the interpreter's own) has a module of the
    same name: the program imports its own, as it would untraced."""
    added = set(sys.modules) - before
    folders = [_script_dir()] + [os.path.abspath(p or os.curdir) for p in user_paths]
    try:
        import _imp
        suffixes = [".py", ".pyc"] + list(_imp.extension_suffixes())
    except Exception:
        suffixes = [".py", ".pyc"]
    for folder in folders:
        if not folder:
            continue
        try:
            names = set(os.listdir(folder))
        except OSError:
            continue
        for name in added:
            if "." in name or name in _KEEP or name.startswith("concurrency_trace"):
                continue
            shadowed = any(name + s in names for s in suffixes) or (
                name in names and os.path.isfile(os.path.join(folder, name, "__init__.py")))
            if shadowed:
                for mod in list(sys.modules):
                    if (mod == name or mod.startswith(name + ".")) and mod in added:
                        del sys.modules[mod]


def _announce_process():
    global _main_thread_span
    # The thread first: the reader files every record under a known thread.
    current = threading.current_thread()
    name = current.name if current is threading.main_thread() else "MainThread"
    _main_thread_span = writer.begin(events.THREAD_START, threading.get_native_id(), 0,
                                     writer.intern(name), 0)
    writer.point(events.PROCESS_START, os.getpid(), 0, os.getppid(), writer.blob(_meta()))


def main_thread_span():
    """The slot of this process's main-thread THREAD_START span."""
    return _main_thread_span


def _after_fork_in_child():
    global _exit_recorded
    _exit_recorded = False
    try:
        writer.reopen_after_fork()
        sites.reset_after_fork()
        _announce_process()
        patches.after_fork_in_child()
    except Exception:
        writer.enabled = False


def _at_exit():
    try:
        writer.finish_time(_main_thread_span)
        if not _exit_recorded:
            writer.point(events.PROCESS_EXIT, writer.pid(), 0, 0, 0)
    except Exception:
        tracer_failed()
    writer.note_exit()


def record_exit(code):
    """Called where the exit code is known (os._exit, a multiprocessing child's
    _bootstrap): records process.exit with it."""
    global _exit_recorded
    try:
        writer.finish_time(_main_thread_span)
        writer.point(events.PROCESS_EXIT, writer.pid(), 0, int(code), 1)
        _exit_recorded = True
    except Exception:
        tracer_failed()
    writer.note_exit()
