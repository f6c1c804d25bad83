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
