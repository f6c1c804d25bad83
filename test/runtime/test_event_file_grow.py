"""Growing the event file where posix_fallocate is missing (event_file.grow):
two growers at once never make the file shorter than either needs, and
never overwrite what was written."""
import mmap
import os
import shutil
import tempfile
import threading
import unittest

from test.runtime import tracefile  # noqa: F401  (puts the runtime on sys.path)
from concurrency_trace import event_file  # noqa: E402

MiB = 1 << 20


class PausingOs:
    """event_file's `os`, except that the thread named `paused` stops right
    after its first fstat until `go` is set: the moment between reading the
    size and growing the file."""

    def __init__(self, paused):
        self.paused = paused
        self.checked = threading.Event()
        self.go = threading.Event()

    def __getattr__(self, name):
        return getattr(os, name)

    def fstat(self, fd):
        st = os.fstat(fd)
        if threading.current_thread() is self.paused and not self.checked.is_set():
            self.checked.set()
            self.go.wait(30)
        return st


class Grow(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ct-grow-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "events.ctev")
        self.fd, self.file_id = event_file.create(self.path)
        self.addCleanup(os.close, self.fd)
        saved = event_file._fallocate
        event_file._fallocate = event_file._no_fallocate   # (the runtime's own: its ENOSYS is the tracer's)
        self.addCleanup(setattr, event_file, "_fallocate", saved)

    def test_a_grower_that_read_the_size_before_another_grew_the_file_further_does_not_shrink_it(self):
        # A needs [0, 1 MiB): it reads the size (0), then B grows the file to
        # 3 MiB and writes a record at its end; then A goes on.
        a = threading.Thread(target=lambda: event_file.reserve(fd_a, 0, MiB))
        fd_a = event_file.reopen(self.path, self.file_id)
        self.addCleanup(os.close, fd_a)
        pausing = PausingOs(a)
        event_file.os = pausing
        self.addCleanup(setattr, event_file, "os", os)
        a.start()
        self.assertTrue(pausing.checked.wait(30))
        event_file.reserve(self.fd, MiB, 2 * MiB)
        self.assertEqual(os.fstat(self.fd).st_size, 3 * MiB)
        m = mmap.mmap(self.fd, 2 * MiB, offset=MiB)
        m[-64:] = b"r" * 64
        pausing.go.set()
        a.join(30)
        self.assertFalse(a.is_alive())
        size = os.fstat(self.fd).st_size
        self.assertGreaterEqual(size, 3 * MiB, "the file was cut below B's window")
        self.assertEqual(m[-64:], b"r" * 64)
        self.assertLessEqual(size, 4 * MiB, "A added at most what it needed")
        m.close()
        with open(self.path, "rb") as f:
            f.seek(3 * MiB - 64)
            self.assertEqual(f.read(64), b"r" * 64)

    def test_many_threads_growing_at_once_each_get_their_window_and_keep_what_they_wrote(self):
        n = 8
        maps = [None] * n
        barrier = threading.Barrier(n)
        errors = []

        def grow(i):
            try:
                fd = event_file.reopen(self.path, self.file_id)
                try:
                    barrier.wait(30)
                    start = i * MiB
                    event_file.reserve(fd, start, MiB)
                    maps[i] = m = mmap.mmap(fd, MiB, offset=start)
                    m[:8] = b"%8d" % i
                    m[-8:] = b"%8d" % i
                finally:
                    os.close(fd)
            except Exception as e:     # reported below
                errors.append(e)

        threads = [threading.Thread(target=grow, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertGreaterEqual(os.fstat(self.fd).st_size, n * MiB)
        for i, m in enumerate(maps):
            self.assertEqual((m[:8], m[-8:]), (b"%8d" % i, b"%8d" % i))
            m.close()

    def test_a_file_already_long_enough_is_left_as_it_is(self):
        os.ftruncate(self.fd, 2 * MiB)
        os.pwrite(self.fd, b"x", 2 * MiB - 1)
        event_file.reserve(self.fd, 0, MiB)
        self.assertEqual(os.fstat(self.fd).st_size, 2 * MiB)
        self.assertEqual(os.pread(self.fd, 1, 2 * MiB - 1), b"x")


if __name__ == "__main__":
    unittest.main()
