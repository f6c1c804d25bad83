"""One post-import hook for every area: patch a stdlib module right after
its first import (and after any fresh re-import), never importing it in a
program that does not (sitecustomize runs in every Python of a run)."""
import sys


def _failed():
    from .safety import failed     # (imported late: safety imports sites, which imports writer)
    failed()

_watch = {}   # module name -> [callback(module)]
_executing = set()   # watched modules whose code runs now (their callbacks come after it)


class _AfterImport:
    """sys.meta_path entry that runs callbacks right after a watched module has
    executed (and before anyone can `from module import name`).  It finds the
    spec with the other finders, in their order, and only wraps exec_module."""

    busy = set()   # names being looked up: other hooks like this one call us back

    def find_spec(self, name, path=None, target=None):
        if name not in _watch or name in self.busy:
            return None
        self.busy.add(name)
        spec = None
        try:
            for finder in list(sys.meta_path):
                if finder is self:
                    continue
                find = getattr(finder, "find_spec", None)
                if find is None:
                    continue
                spec = find(name, path, target)
                if spec is not None:
                    break
        except Exception:
            _failed()
            return None    # the import system asks the finders again, unhooked
        finally:
            self.busy.discard(name)
        if spec is None:
            return None
        loader = spec.loader
        exec_module = getattr(loader, "exec_module", None)
        if exec_module is None or isinstance(loader, type):
            return spec    # no per-module loader object to hook (builtin, frozen)

        def exec_then_patch(module):
            if getattr(module, "__name__", None) != name:
                return exec_module(module)   # a loader shared by several modules (zipimport)
            try:
                if loader.__dict__.get("exec_module") is exec_then_patch:
                    del loader.exec_module
            except Exception:
                _failed()
            _executing.add(name)
            try:
                exec_module(module)
            finally:
                _executing.discard(name)
            _run_callbacks(name, module)

        try:
            loader.exec_module = exec_then_patch
        except Exception:
            _failed()
        return spec

    def invalidate_caches(self):
        pass


_finder = None
_placing = None     # the _Deferred whose load() runs now: its hooks take its places


def after_import(name, callback):
    """Run callback(module) now if `name` is imported, else right after its
    import.  Called by a deferred area's install (when_imported), the
    callback takes the place the area's stand-in holds in that module's list,
    and waits for the end of a module whose code still runs (its stand-in
    there has had the module's loader hooked since its find_spec)."""
    global _finder
    module = sys.modules.get(name)
    callbacks = _watch.get(name)
    placing = _placing
    held = placing is not None and callbacks is not None and placing in callbacks
    if module is not None and not (held and name in _executing):
        _safe(callback, module)
        return
    if held:
        callbacks.insert(callbacks.index(placing), callback)
    else:
        _watch.setdefault(name, []).append(callback)
    if _finder is None:
        _finder = _AfterImport()
        sys.meta_path.insert(0, _finder)


class _Deferred:
    """Stands in the callback lists of an area's modules until the first of
    them is imported, then runs load() (the area's import and install) once,
    in its place."""

    def __init__(self, load):
        self.load = load
        self.done = False
        self._once = [load]

    def __call__(self, module):
        global _placing
        try:
            self._once.pop()    # atomic: two threads importing two of its modules load it once
        except IndexError:
            return
        self.done = True
        outer = _placing
        _placing = self
        try:
            self.load()
        finally:
            _placing = outer


def defer(names, load):
    """Run load() when the first of the modules `names` is imported (now if
    one is).  The hooks it registers (after_import) for the others take the
    places it was given here: hooks of one module run in the order the areas
    were installed, as if load() had run now.  Every module that load()'s
    area watches must be in names (a module imported before them would be
    missed)."""
    deferred = _Deferred(load)
    for name in names:
        if deferred.done:
            break
        after_import(name, deferred)


def _run_callbacks(name, module):
    for callback in _watch.get(name, ()):
        _safe(callback, module)


def _safe(callback, module):
    try:
        callback(module)
    except Exception:
        _failed()
