"""Checks that an unpacked CPython has what the tests use (called by setup.sh).

Usage: python3.X check_python.py 3.X — prints one line (version, OpenSSL, SQLite, GIL) or fails.
"""
import os
import sys
import sysconfig


def main() -> None:
    want = sys.argv[1]
    have = "%d.%d" % sys.version_info[:2]
    assert have == want, "asked for %s, got %s" % (want, sys.version)
    import bz2, ctypes, decimal, hashlib, json, lzma, readline, ssl, sqlite3, zlib  # noqa: F401
    import multiprocessing as mp
    import test.support  # CPython's own test package (libpython3.X-testsuite)
    import test.test_threading  # noqa: F401
    assert os.path.dirname(test.__file__) == os.path.join(sysconfig.get_paths()["stdlib"], "test"), test.__file__
    assert hasattr(sys, "_is_gil_enabled"), "sys._is_gil_enabled missing"
    for key in ("include", "platinclude"):
        d = sysconfig.get_paths()[key]
        name = "Python.h" if key == "include" else "pyconfig.h"
        assert os.path.isfile(os.path.join(d, name)), os.path.join(d, name)
    with open(os.path.join(sysconfig.get_paths()["include"], "pyconfig.h")) as f:
        assert "SIZEOF_VOID_P" in f.read(), "include/pyconfig.h is Debian's multiarch wrapper"
    for method in ("fork", "spawn", "forkserver"):
        with mp.get_context(method).Pool(2) as pool:
            assert pool.map(abs, [-1, -2, 3]) == [1, 2, 3], method
    gil = "free-threaded" if sysconfig.get_config_var("Py_GIL_DISABLED") else "gil"
    print(sys.executable, sys.version.split()[0], ssl.OPENSSL_VERSION, "SQLite", sqlite3.sqlite_version, gil)


if __name__ == "__main__":
    main()
