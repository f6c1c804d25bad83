"""Starts children the tracer cannot follow, beside a normal one.

argv[1]: "fsize" — a child of this same Python whose file size limit (1 KiB)
keeps the tracer from creating its event file; or a path to an interpreter
(e.g. Python 3.7) that the runtime does not support.
"""
import resource
import subprocess
import sys


def small_files():
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


if __name__ == "__main__":
    how = sys.argv[1]
    if how == "fsize":
        out = subprocess.run([sys.executable, "-c", "print('limited child ran')"],
                             preexec_fn=small_files, capture_output=True, text=True)
    else:
        out = subprocess.run([how, "-c", "print('old child ran')"], capture_output=True, text=True)
    sys.stdout.write(out.stdout)
    sys.stderr.write(out.stderr)
    subprocess.run([sys.executable, "-c", "print('normal child ran')"])
