"""Prints what the interpreter gave it: argv, __file__, sys.path[0], stdin, and what fd 3 holds."""
import os
import sys

print("argv", sys.argv)
print("file", globals().get("__file__"))
print("path0", sys.path[0])
print("main", __name__, __spec__.name if __spec__ else None)
print("stdin", None if sys.stdin is None else "open")
try:
    print("fd3", os.read(3, 100))
except OSError as e:
    print("fd3", type(e).__name__)
