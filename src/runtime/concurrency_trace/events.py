"""Record kinds written by the runtime and read by src/core/recordKinds.ts.

Every record is eight little-endian int64 fields:
    kind, ts, ident, obj, site, end, a, b
ts/end are time.monotonic_ns(); ident is _thread.get_ident() of the emitting
thread; obj is a trace object id (or pid / ident where noted); site is a call
site id defined by a SITE record of the same process; end is the end time of a
span (0 while it is open) and unused (0) for point records.  What a and b hold
is listed per kind; "blob" means the id of a string in the process's blob file.

The numbers are a file format: never reuse or renumber one.  The TypeScript
table must list the same numbers (test/unit/recordKinds.test.ts checks).
"""

# --- process and thread lifecycle -------------------------------------------
SITE = 1              # obj=site id, end=function blob, a=file blob, b=line
OBJECT = 2            # obj=object id, a=type blob ("Lock", "Queue"…), b=label blob
PROCESS_START = 3     # obj=pid, a=ppid, b=meta blob (JSON)
PROCESS_EXIT = 4      # obj=pid, a=exit code, b=1 if the code is known (0: interpreter shutdown)
PROCESS_SPAWN = 5     # span in the parent around Process.start(): obj=child pid, a=owner object id (pool/executor) or 0
PROCESS_JOIN = 6      # span: obj=child pid, a=exit code seen, b=1 if the child had exited
PROCESS_TERMINATE = 7 # obj=child pid, a=signal sent
THREAD_START = 8      # span = the thread's life: ident=the thread, obj=native id, a=name blob, b=flags (1 daemon, 2 internal)
THREAD_SPAWN = 9      # span around Thread.start(): obj=ident of the new thread
THREAD_JOIN = 10      # span: obj=ident of the joined thread, a=1 if it had ended
THREAD_NAME = 11      # obj=ident, a=name blob (rename after start)
THREAD_EXCEPTION = 12 # obj=ident, a=blob with the exception text
CHILD_PROCESS = 13    # subprocess / os.fork seen from the parent: obj=child pid, a=argv blob or 0
PROCESS_NAME = 14     # obj=pid, a=name blob, b=flags (2 internal helper: forkserver, resource tracker)

# --- locks and other synchronisation ----------------------------------------
LOCK_WAIT = 20        # span: acquisition that found the lock held; a=1 acquired, 0 timed out / failed
LOCK_HOLD = 21        # span acquire -> release (end=release time); a=release site
LOCK_TRY_FAIL = 22    # acquire(blocking=False) that failed
COND_WAIT = 23        # span: obj=condition, a=1 notified, 0 timed out
COND_NOTIFY = 24      # obj=condition, a=n (-1 for notify_all)
EVENT_WAIT = 25       # span: obj=event, a=result (1/0)
EVENT_SET = 26        # obj=event (b=1 for clear())
BARRIER_WAIT = 27     # span: obj=barrier, a=index returned (-1 broken)

# --- queues and pipes -------------------------------------------------------
QUEUE_PUT = 30        # span (put may block): obj=queue, a=message id, b=1 if it failed (Full)
QUEUE_GET = 31        # span: obj=queue, a=message id (0 if unknown), b=1 if it failed (Empty)
PIPE_SEND = 32        # span: obj=channel id, a=content key (crc32<<32 | len), b=message id carried or 0
PIPE_RECV = 33        # span: obj=channel id, a=content key, b=1 if it failed (EOF)

# --- pools and executors ------------------------------------------------------
TASK_SUBMIT = 40      # obj=task id, a=pool/executor object id, b=function blob
TASK_RUN = 41         # span on the worker: obj=task id, a=function blob, b=argument summary blob
TASK_RESULT = 42      # obj=task id, a=1 ok, 0 raised (seen by the caller)

# --- shared memory ----------------------------------------------------------
SHARED_READ = 50      # obj=shared object, a=value summary blob
SHARED_WRITE = 51     # obj=shared object, a=value summary blob

# --- asyncio ----------------------------------------------------------------
ASYNC_CREATE = 60     # obj=task id, a=name blob, b=coroutine blob
ASYNC_RUN = 61        # span: one step of a task on its loop thread: obj=task id
ASYNC_END = 62        # obj=task id, a=1 ok, 0 raised, 2 cancelled

# --- time and output --------------------------------------------------------
SLEEP = 70            # span: a=requested ns
IO_WRITE = 71         # a=text blob, b=fd (1 stdout, 2 stderr)
