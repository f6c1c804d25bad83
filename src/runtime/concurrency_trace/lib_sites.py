"""The user's line for records a library writes from deep inside itself
(joblib, dask, distributed, ipyparallel): the first frame that is user code
(sites.py) and not in an installed package (site-packages / dist-packages:
the library, and the helpers it calls through, such as `decorator`)."""
import os
import sys

from . import sites

_PACKAGES = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)


def user_site(depth=1):
    """Site id of the first such frame above the caller of the function
    calling user_site() (depth=1); 0 if none."""
    f = sys._getframe(depth + 1)
    d = depth + 1
    while f is not None:
        name = f.f_code.co_filename
        if sites.is_user_frame(f) and not (_PACKAGES[0] in name or _PACKAGES[1] in name):
            return sites.site(d)
        f = f.f_back
        d += 1
    return 0


# --- which library a piece of code belongs to (lib-fold) ----------------------
# Vendored copies name the library they vendor: joblib/externals/loky -> "loky".
_VENDOR_DIRS = ("externals", "_vendor", "vendored")


def package_of(filename):
    """The installed package a code file belongs to: its first folder (or
    module, less ".py") under site-packages / dist-packages, or the vendored
    library's for a copy inside another package; None for any other file
    (the program's own, the standard library's)."""
    if type(filename) is not str:
        return None
    at = -1
    for marker in _PACKAGES:
        i = filename.rfind(marker)
        if i >= 0:
            at = max(at, i + len(marker))
    if at < 0:
        return None
    parts = filename[at:].split(os.sep)
    name = parts[0]
    for i in range(1, len(parts) - 2):
        if parts[i] in _VENDOR_DIRS:
            name = parts[i + 1]
            break
    if name.endswith(".py"):
        name = name[:-3]
    return name[:64] or None
