"""One post-import hook for every area: patch a stdlib module right after
its first import (and after any fresh re-import), never importing it in a
program that does not (sitecustomize runs in every Python of a run)."""
import sys


def _failed():
    from .safety import failed     # (imported late: safety imports sites, which imports writer)
    failed()

_watch = {}   # module name -> [callback(module)]


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
            exec_module(module)
            _run_callbacks(name, module)

        try:
            loader.exec_module = exec_then_patch
        except Exception:
            _failed()
        return spec

    def invalidate_caches(self):
        pass


_finder = None


def after_import(name, callback):
    """Run callback(module) now if `name` is imported, else right after its
    import."""
    global _finder
    module = sys.modules.get(name)
    if module is not None:
        _safe(callback, module)
        return
    _watch.setdefault(name, []).append(callback)
    if _finder is None:
        _finder = _AfterImport()
        sys.meta_path.insert(0, _finder)


def _run_callbacks(name, module):
    for callback in _watch.get(name, ()):
        _safe(callback, module)


def _safe(callback, module):
    try:
        callback(module)
    except Exception:
        _failed()
