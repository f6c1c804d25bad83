"""joblib (and the loky it vendors): installed when the program imports it,
never importing joblib itself.

Workers: loky starts each worker with fork + execve (popen_loky_posix); the
exec'ed image writes its own event file for the same pid and the collector
makes the two one process (child_processes patches os.exec*).  loky's own
resource tracker (a `python -c` helper) is plumbing like multiprocessing's.
"""
from . import processes

_LOKY_TRACKERS = ("joblib.externals.loky.backend.resource_tracker",
                  "loky.backend.resource_tracker")


def install():
    for name in _LOKY_TRACKERS:
        processes.when_imported(name, processes.helper_main_patch("resource_tracker"))
