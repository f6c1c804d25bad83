"""Starts Concurrency Trace in every Python process of a traced run.

This directory is first on PYTHONPATH only for traced runs, so this file
shadows any sitecustomize the interpreter ships (Debian has one): that one is
loaded afterwards.  It must stay tiny and never raise.
"""


def _start_tracer():
    import os
    import sys
    if not os.environ.get("CONCURRENCY_TRACE_DIR"):
        return
    if sys.version_info < (3, 8) or sys.version_info >= (3, 15):
        return  # unsupported: run untraced rather than risk changing the program
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
    except Exception:
        if os.environ.get("CONCURRENCY_TRACE_DEBUG"):
            raise


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
del _start_tracer, _load_shadowed_sitecustomize
