"""Removes the folder named on the command line (the trace's destination), then exits 3."""
import shutil
import sys
import threading

with threading.Lock():
    pass
shutil.rmtree(sys.argv[1])
sys.exit(3)
