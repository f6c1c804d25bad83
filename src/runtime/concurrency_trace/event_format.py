"""The layout of a process's event file, <dir>/p<pid>-<nonce>.ctev: what
writer.py writes and src/core/run/eventFile.ts reads (a file format: never
renumber).

64-byte slots:
  slot 0  header: magic, version, slot size, pid, run token, first record slot
  slot 1  status: slots claimed (set at exit / when tracing stops; 0 = not
          yet), time tracing stopped, why (STOP_* below), errno
  slot 2… (first_slot on) records.  The last 8 bytes of a slot say what it is:
          0 not written (yet), > 0 a record kind (events.py), STRING_KIND a
          piece of a string, VOID_KIND claimed but dropped (an exception
          arrived between claiming and writing it, or the tracer failed
          before it wrote the event: counted as lost).
A record is int64 ts, ident, obj, site, end, a, b, kind: one pack_into writes
the fields in that order (one 8-byte store each), the kind last, so a read
that starts after another read saw the kind sees the rest (the reader reads a
slot twice for that).  A string is [u32 id][u32 byte length][u32 piece
index][44 bytes of utf-8][kind], one slot per 44 bytes, written before any
record names it.  A span's end is written into its own record later (end 0 =
still open), after its final a and b.
"""
import _struct

MAGIC = b"CTRACE01"
VERSION = 2
SLOT = 64
FIRST_SLOT = 2
HEADER = _struct.Struct("<8sII q 16s q q")  # magic, version, slot size, pid, token, first slot, 0
STATUS = _struct.Struct("<q q i i")         # claimed slots, stop time, STOP_*, errno (slot 1)
CLAIMED = _struct.Struct("<q")
RECORD = _struct.Struct("<8q")               # ts, ident, obj, site, end, a, b, kind
KIND = _struct.Struct("<q")
KIND_AT = 56
END_AT = 32
END1 = _struct.Struct("<q")                  # end
AB = _struct.Struct("<2q")                   # a, b (at END_AT + 8)
STRING = _struct.Struct("<III44sq")          # id, byte length, piece index, bytes, kind
STRING_PIECE = 44
STRING_KIND = -1
VOID_KIND = -2

# Why tracing stopped (status slot; TRACER_STATUS a in the trace).
STOP_DISK_FULL = 1
STOP_NO_MEMORY = 2
STOP_FILE_GONE = 3
STOP_ERROR = 4

# The windows of the file mapped at a time (event_windows.py).
FIRST_WINDOW = 1 << 20
MAX_WINDOW = 8 << 20
