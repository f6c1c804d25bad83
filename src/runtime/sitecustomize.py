"""Starts Concurrency Trace in every Python process of a traced run.

This directory is first on PYTHONPATH only for traced runs, so this file
shadows any sitecustomize the interpreter ships (Debian has one): that one is
loaded afterwards.  It must stay tiny and never raise.
"""


def _start_tracer():
    import os
    import sys
    directory = os.environ.get("CONCURRENCY_TRACE_DIR")
    if not directory or _in_subinterpreter(sys):
        return
    reason = _why_not_traced(sys)
    if reason:
        _note_untraced(os, directory, reason)
        return
    try:
        # The tracer (standard library only) is imported with sys.path cut
        # to this folder and the interpreter's own: a json.py or mmap.py of
        # the user's on PYTHONPATH or in the current folder is neither run
        # nor cached for the program by it.  Then every module the tracer
        # added that one of the user's folders holds too is taken out again.
        before = set(sys.modules)
        saved = list(sys.path)
        here = os.path.dirname(os.path.abspath(__file__))
        roots = tuple({os.path.join(os.path.realpath(p), "") for p in
                       (sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix)})
        kept = [p for p in saved if p and os.path.realpath(p).startswith(roots)]
        sys.path[:] = [here] + kept
        try:
            from concurrency_trace import bootstrap
            bootstrap.start()
        finally:
            sys.path[:] = saved
        bootstrap.unshadow(before, [p for p in saved if p not in kept and os.path.abspath(p or os.curdir) != here])
    except Exception as e:
        if os.environ.get("CONCURRENCY_TRACE_DEBUG"):
            raise
        _note_untraced(os, directory, "the tracer could not start", e)


def _why_not_traced(sys):
    """Why this interpreter cannot be traced, or None.  The CLI and the
    extension refuse these up front; a child started with another Python
    (subprocess, sys.executable changed) gets here."""
    if sys.version_info < (3, 8):
        return "Python %d.%d is older than 3.8" % sys.version_info[:2]
    # Free-threaded build (abiflags "t", 3.13+) with the GIL off: the writer claims event
    # slots with next() on an itertools.count, atomic only under the GIL.
    gil_enabled = getattr(sys, "_is_gil_enabled", None)
    if gil_enabled is not None and not gil_enabled():
        return ("free-threaded Python %d.%d with the GIL disabled (the tracer needs the GIL; "
                "PYTHON_GIL=1 traces it with the GIL enabled)" % sys.version_info[:2])
    return None


def _in_subinterpreter(sys):
    """True in an interpreter other than the process's main one (run_in_subinterp,
    _interpreters, InterpreterPoolExecutor): the main interpreter's tracer already
    writes this process's event file, and the C accelerator's state is per process
    (configuring it again from a subinterpreter crashed 3.12's test_threading).
    Code run in subinterpreters is not traced."""
    import _thread
    is_main = getattr(_thread, "_is_main_interpreter", None)  # 3.12.1+
    if is_main is not None:
        return not is_main()
    name = "_xxsubinterpreters"  # 3.8-3.12.0; imported only for the question
    had = name in sys.modules
    try:
        interpreters = __import__(name)
        return interpreters.get_current() != interpreters.get_main()
    except Exception:
        return False
    finally:
        if not had:
            sys.modules.pop(name, None)


def _note_untraced(os, directory, reason, error=None):
    """Leaves one line in the run directory (untraced-<pid>-<nonce>.txt) so the
    CLI and the extension can say that this process ran untraced, and why."""
    try:
        if error is not None:
            reason = "%s (%s: %s)" % (reason, type(error).__name__, error)
        flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
                 | getattr(os, "O_NOFOLLOW", 0))
        name = "untraced-%d-%s.txt" % (os.getpid(), "".join("%02x" % b for b in bytearray(os.urandom(4))))
        fd = os.open(os.path.join(directory, name), flags, 0o600)
        try:
            os.write(fd, reason[:400].encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except Exception:
        pass


def _load_shadowed_sitecustomize():
    import os
    import sys
    try:
        # The import system's own modules (always loaded), not the importlib
        # package: nothing is added to sys.modules that a script's folder
        # could shadow.
        import _frozen_importlib
        import _frozen_importlib_external
        here = os.path.dirname(os.path.abspath(__file__))
        rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
        spec = _frozen_importlib_external.PathFinder.find_spec("sitecustomize", rest)
        if spec is None or spec.loader is None:
            return
        module = _frozen_importlib.module_from_spec(spec)
        sys.modules["sitecustomize"] = module
        spec.loader.exec_module(module)
    except Exception:
        pass


_start_tracer()
_load_shadowed_sitecustomize()
del _start_tracer, _in_subinterpreter, _why_not_traced, _note_untraced, _load_shadowed_sitecustomize
