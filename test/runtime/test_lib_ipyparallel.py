"""ipyparallel: an execute / run request's task label is the code's first
non-blank line (the scenario libraries.test.ts runs a real cluster)."""
import unittest

from test.runtime import tracefile  # noqa: F401  (puts the runtime on sys.path)
from concurrency_trace import lib_ipyparallel


class CodeLabel(unittest.TestCase):
    def test_the_label_is_the_first_non_blank_line_stripped(self):
        self.assertEqual(lib_ipyparallel.code_label("\n   \n  import os\nx = 1\n"), "import os")

    def test_a_line_longer_than_60_characters_ends_in_an_ellipsis(self):
        label = lib_ipyparallel.code_label("a = '%s'" % ("z" * 100))
        self.assertEqual(len(label), 60)
        self.assertTrue(label.endswith("\u2026"))

    def test_code_that_is_not_text_or_is_blank_is_labelled_execute(self):
        class Code(str):
            def strip(self):
                raise AssertionError("a method of the program's object ran")
        self.assertEqual(lib_ipyparallel.code_label(Code("x = 1")), "execute")
        self.assertEqual(lib_ipyparallel.code_label(b"x = 1"), "execute")
        self.assertEqual(lib_ipyparallel.code_label("\n \n"), "execute")


if __name__ == "__main__":
    unittest.main()
