"""Concurrency Trace runtime: records what the processes and threads of a
Python program do (see bootstrap.start and patches.install)."""
