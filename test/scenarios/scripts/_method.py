"""Shared by the scenario scripts: the start method comes from argv[1]."""
import multiprocessing as mp
import sys


def set_start_method():
    method = sys.argv[1] if len(sys.argv) > 1 else None
    if method:
        mp.set_start_method(method, force=True)
    return method
