"""Record kinds written by the runtime and read by src/core/trace/recordKinds.ts.

Every record is eight little-endian int64 fields, stored in this order (the
kind last: written last, see writer.py):
    ts, ident, obj, site, end, a, b, kind
ts/end are time.monotonic_ns(); ident is _thread.get_ident() of the emitting
thread; obj is a trace object id (or pid / ident where noted); site is a call
site id defined by a SITE record of the same process; end is the end time of a
span (0 while it is open) and unused (0) for point records.  What a and b hold
is listed per kind; "blob" means the id of a string written by writer.blob()
into the same file.

The numbers are a file format: never reuse or renumber one.  The TypeScript
table must list the same numbers (test/unit/recordKinds.test.ts checks).

Ranges held for work in progress (take a number from your range only):
18-19 tracer status (why a process is untraced or stopped writing);
43-49 waits on futures and pool results; 52-59 Python-state accesses;
63-69 asyncio waits and synchronisation; 80-89 manager proxy calls and
connections between traces; 90-99 native accelerator.
"""

# --- process and thread lifecycle -------------------------------------------
SITE = 1              # obj=site id, end=function blob, a=file blob, b=line
OBJECT = 2            # obj=object id, a=type blob ("Lock", "Queue"…), b=label blob
PROCESS_START = 3     # obj=pid, a=ppid, b=meta blob (JSON)
PROCESS_EXIT = 4      # obj=pid, a=exit code, b=1 if the code is known (0: interpreter shutdown); a multiprocessing child writes it when _bootstrap returns, os._exit(n) when called; if a process has several, the last one with b=1 holds
PROCESS_SPAWN = 5     # span in the parent around Process.start(): obj=child pid, a=owner object id (pool/executor) or 0, b=blob of the child's Process.name (so a child killed before its tracer wrote anything is still named); site=the user's call (for pool workers: the Pool()/submit line, 0 when a pool's handler thread replaces a worker); also written when start() raised after the child was created
PROCESS_JOIN = 6      # span: obj=child pid, a=exit code seen (-N: killed by signal N), b=1 if the child had exited; Process.join(), Popen.wait() that had to wait (also inside subprocess.run / communicate), os.waitpid / os.wait called by user code; also written with ts == end when the parent first learns the code outside those (is_alive(), exitcode, Popen.poll(), a Pool reaping or terminating its workers)
PROCESS_TERMINATE = 7 # obj=child pid, a=signal sent (terminate() 15, kill() 9, interrupt() 2); only while the child is not known to have exited
THREAD_START = 8      # span = the thread's life: ident=the thread, obj=native id, a=name blob, b=flags (1 daemon, 2 internal, 4 library: the function it runs (target, a functools.partial's function, else its class's run) is defined under site-packages / dist-packages; then b >> 3 = blob of that package's name, lib_sites.package_of: "distributed", "loky" for joblib's vendored copy)
THREAD_SPAWN = 9      # span around Thread.start(): obj=ident of the new thread
THREAD_JOIN = 10      # span: obj=ident of the joined thread, a=1 if it had ended
THREAD_NAME = 11      # obj=ident, a=name blob (rename after start)
THREAD_EXCEPTION = 12 # obj=ident, a=blob with the exception text
CHILD_PROCESS = 13    # subprocess.Popen / os.fork seen from the parent (not multiprocessing's own forks: those are PROCESS_SPAWN): ts=call start, obj=child pid, a=argv blob (JSON list of strings) or 0 for a fork
PROCESS_NAME = 14     # obj=pid, a=name blob, b=flags (1 daemon, 2 internal helper: "forkserver", "resource_tracker", 4 a Manager's server: hosts shared objects, shown); written by a multiprocessing child as it starts, and on a rename of current_process()
PROCESS_PARENT = 15   # obj=pid, a=pid of the process that called Process.start() (multiprocessing child, as it starts); under forkserver PROCESS_START's ppid is the forkserver

# --- tracer status ---------------------------------------------------------
# Made by the collector, not written as records by the runtime (a full disk has
# no room for one): an event file's status slot says why its process stopped
# writing (writer.STOP_*), its slots what was claimed and never written.
TRACER_STATUS = 16    # obj=pid, a=why the process is (partly) untraced: 1 disk full, 2 no memory for the event map, 3 event file removed or replaced, 4 tracer error, 5 never traced (no event file: it ended before its tracer started, or could not create one); b=errno (0 unknown); ts=when tracing stopped (for 5: when the parent started it)
EVENTS_LOST = 17      # obj=pid, a=records lost, b=why: 1 claimed but never written (the process ended or was killed while a thread was writing one), 2 dropped by an exception that arrived in tracer code or a failure of the tracer itself, 3 not written because tracing had stopped
TRACER_NOTE = 18      # written by the runtime: obj=pid, a=blob saying which part of the program stays untraced and why (a library hook that failed: "dask.distributed: ... worker plugin ... (OSError)"); the program went on as it would untraced

# --- locks and other synchronisation ----------------------------------------
# obj of every record below is the lock / condition / event / barrier.  OBJECT a
# (type) is "Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition",
# "Event", "Barrier" for threading; the same after "multiprocessing." for
# process-shared ones and after "Manager." for Manager proxies; those have one id
# in every process.  A Condition made without a lock records its lock's
# LOCK_* with the Condition's own id.  A Value / Array lock is an RLock labelled
# "<name>.get_lock()"; its per-access use is not recorded.
LOCK_WAIT = 20        # span: acquisition that found the lock held; a=1 acquired, 0 timed out / failed
LOCK_HOLD = 21        # span acquire -> release (end=release time, 0 while held); a=0. RLock: outermost only.
                      #   Times are read after the real acquire / before the real release: holds of one lock
                      #   never overlap.  Semaphores: holds per thread; one never released stays open
LOCK_TRY_FAIL = 22    # acquire(blocking=False) that failed
COND_WAIT = 23        # span: obj=condition, a=1 notified, 0 timed out
COND_NOTIFY = 24      # obj=condition, a=n (-1 for notify_all)
EVENT_WAIT = 25       # span: obj=event, a=result (1/0)
EVENT_SET = 26        # obj=event (b=1 for clear())
BARRIER_WAIT = 27     # span: obj=barrier, a=index returned (-1 broken)
LOCK_RELEASE = 28     # release that ends no hold of this process / thread: a multiprocessing Lock acquired in
                      #   another process (that hold span stays open), a semaphore released as a signal; a=n

# --- queues and pipes -------------------------------------------------------
# message id: writer.new_object_id(), unique in the run, one per put.
# channel id: one end of an OS pipe or socket, the same in every process:
#   2**52 | (st_dev & 0x7FF) << 40 | (st_ino & 0xFFFFFFFFFF); both ends of a
#   one-way pipe share one, the two ends of a duplex Pipe() (socketpair) differ.
# content key: one message's bytes: (len & 0xFFFFF) << 32 | crc32, the crc over
#   the whole message up to 8 KiB, else over its first 4 KiB then its last 4 KiB.
# All ids and keys are below 2**53 (exact in a float64).  Object ids: a
# queue.Queue/LifoQueue/PriorityQueue/SimpleQueue: a writer object id; a Pipe():
# the channel id of its first end; a multiprocessing Queue/JoinableQueue/
# SimpleQueue: the channel id of its pipe (same in every process); a Manager
# queue proxy: 2**52 + 2**51 + a 51-bit hash of (manager address, referent id).
# Pairing: in-process queues: QUEUE_GET.a == QUEUE_PUT.a.  multiprocessing
# queues: QUEUE_PUT(a=msg) -> PIPE_SEND(b=msg, obj=the queue's channel, a=key,
# written later by the feeder thread for Queue/JoinableQueue, inside the put for
# SimpleQueue) -> PIPE_RECV(same channel, same key) -> QUEUE_GET(b&2, a=key).
# On one channel the k-th send and the k-th receive of equal keys (time order)
# are one message.  Pipe(): a PIPE_SEND on one end's channel is received on the
# other end's channel (PIPE_OPEN names both).  Manager queues: QUEUE_PUT and
# QUEUE_GET both carry content keys (b&2), k-th with k-th on one obj.
# A thread-queue put/get that did not wait is a zero-length span (end == ts):
# a put at its start, a get at its end; one that waited spans the wait.
QUEUE_PUT = 30        # span (put may block): obj=queue, a=message id (content key if b&2), b=flags: 1 failed (Full, closed, error), 2 a is a content key (Manager queue)
QUEUE_GET = 31        # span: obj=queue, a=message id of the put (0 if unknown), or the content key received if b&2, b=flags: 1 failed (Empty, EOF, error), 2 a is a content key (multiprocessing / Manager queue)
PIPE_SEND = 32        # span: obj=channel id of the end written, a=content key, b=message id of the QUEUE_PUT carried, or 0
PIPE_RECV = 33        # span: obj=channel id of the end read, a=content key (0 if failed), b=1 if it failed (EOF, error, longer than maxlength)
QUEUE_TASK_DONE = 34  # span around task_done(): obj=queue, a=1 if it raised (called too many times)
QUEUE_JOIN = 35       # span: join() waiting until every task is done: obj=queue
PIPE_OPEN = 36        # the two ends of one pipe: obj=pipe object id, a=channel id of its first end, b=of its second end (== a for a one-way pipe).
                      #   Written by Pipe() in user code, and (Linux) at the first traced send/recv on a Unix socket connection in
                      #   each process (Listener/Client, a Pipe() end passed on): then obj=a=this end, b=its peer

# --- pools and executors ------------------------------------------------------
# One task = one call of the user's function on a worker: every element of a
# Pool.map / imap / starmap / ProcessPoolExecutor.map chunk is its own task.
# A pool or executor is an object (OBJECT a="Pool", "ThreadPool",
# "ThreadPoolExecutor" or "ProcessPoolExecutor", b="Pool(4)"-style label);
# its worker processes' PROCESS_SPAWN has a=its object id.
# Task ids are unique in the run, non-zero and below 2**52; both sides compute
# the same one from what they already have: base + k, k = position in the
# chunk (0 for an unchunked call), base = pools.task_base (a hash of 4 ints):
#   Pool / ThreadPool: (1, pid of the pool's process, job, task index);
#   ProcessPoolExecutor: (2, executor object id, work id, 0).
#   ThreadPoolExecutor: an object id.
#   A library's batch unit (joblib's SafeFunction, dask's batch_execute_tasks) is
#   no task of the pool / executor that carries it: the user's calls in it are.
#   joblib (lib_joblib): call k of a batch: (5, id of the batch's unit, 0, 0) + k,
#   the unit = the Pool job's id above (multiprocessing / threading backends), a
#   loky work item (4, inode of the executor's call-queue pipe, work_id, 0), or an
#   object id (n_jobs=1 / sequential: all in the caller's thread); the pool object
#   is the Parallel instance (OBJECT a="joblib.Parallel", b="Parallel(n_jobs=4,
#   loky)"); TASK_RESULT as the batch's result reaches the caller.  A caller's
#   AsyncResult wait on a Pool backend's batch waits for the group (3, pool pid,
#   job, 0) of its calls.
#   dask local schedulers (lib_dask): key k of a batch get_async submits: base
#   (6, the executor task id of the batch, k, 0) (synchronous scheduler: an object
#   id instead of the executor task id); TASK_SUBMIT b / TASK_RUN a = the key's
#   text ("('sum-aggregate-5574…', 0)" for a tuple key); OBJECT a="dask",
#   b="dask threads(4)" / "dask processes(4)" / "dask synchronous(1)".
#   dask.distributed (lib_distributed, workers traced by this run): (7, crc32 of
#   the scheduler address, crc32 of the key's text, its length); OBJECT a="dask",
#   b="dask distributed tcp://..." (the Client); TASK_RESULT only for keys the
#   client receives.  ipyparallel (lib_ipyparallel): (8, crc32 of the apply or
#   execute request's msg id, its length, 0); OBJECT a="ipyparallel" (the Client);
#   an execute / run request's label is the code's first non-blank line.
TASK_SUBMIT = 40      # obj=task id, a=pool/executor object id, b=function blob (qualname); ident/site=the caller's thread and line. Executors: inside submit(). Pool: as its task-handler thread takes the task from the call (for imap: as it pulls the element from the iterable)
TASK_RUN = 41         # span on the worker (pid/ident = the worker process/thread): obj=task id, a=function blob, b=argument summary blob ("3", "'a', 2, key=5"; at most 60 chars); site=0
TASK_RESULT = 42      # obj=task id, a=1 ok, 0 raised (a raising chunk marks all its elements 0), 2 cancelled before it ran; written when the result reaches the caller's process: Pool: in its result-handler thread (ApplyResult/MapResult/IMapIterator._set), before callbacks and before get() returns; executors: when the future is completed (set_result / set_exception / cancel)

# --- waits on tasks -----------------------------------------------------------
# A thread waiting for pool / executor tasks (the task ids above):
# Future.result() / exception() (also inside executor map() iteration),
# concurrent.futures.wait() / as_completed(), AsyncResult.get() / wait()
# (apply_async, map_async, and Pool.map / starmap, whose caller waits inside),
# IMapIterator.next() (imap, imap_unordered).  Only a wait that finds its tasks
# unfinished is recorded; site = the user's line.  A wait on several tasks
# names a group, whose TASK_WAIT_MEMBER records list its tasks as ranges of
# consecutive ids: futures: one group per wait() / as_completed() call (every
# wait of one as_completed uses it), an object id, members written by the
# waiting thread before the group's first TASK_WAIT; a Pool job (map, imap_unordered):
# group id = pools.task_base(3, pool process pid, job, 0), members written by
# the pool's task-handler thread as it submits each chunk (also after the wait began).
TASK_WAIT = 43        # span in the waiting thread: obj=task id (a=0) or group id (a>0); a=what ends the wait: 0 the one task, 1 all of the group's tasks, 2 any one of them not done when the wait began (FIRST_COMPLETED, as_completed, imap_unordered), 3 all of them or the first to raise (FIRST_EXCEPTION); b=how it ended: 0 still waiting, 1 done, 2 done, a task raised (its exception is raised or returned), 3 timed out, 4 interrupted (an exception of the waiting thread itself: Ctrl-C, a signal handler's), 5 a task was cancelled
TASK_WAIT_MEMBER = 44 # obj=group id, a=first task id, b=count: tasks a, a+1, ..., a+b-1 are in the group

# --- shared memory ----------------------------------------------------------
# multiprocessing.Value / Array (synchronized wrappers) and Manager()
# Namespace / list / dict / Value / Array proxies.  Their object id is derived
# from where the data lives, so it is the same in every process without
# anything added to pickles: 2**51 + a 50-bit hash of (shared-memory file +
# offset) or (manager address + token id).  The creating process writes an
# OBJECT record: a=type blob ("Value", "Array", "Manager.list", "Manager.dict",
# "Manager.Namespace", "Manager.Value", "Manager.Array"), b=label blob (the
# assigned name from the creating line, e.g. "counter", else that line's text).
# site = the user's line of the access; `v.value += 1` is a READ then a WRITE.
# Plain Python state shared by threads (py_state) uses the same two kinds with
# writer object ids: OBJECT a = "Python.globals" (label: module name),
# "Python.object", "Python.list", "Python.dict" (label: the name the code
# used, "Account object" when first seen as self), "Python.cell" (label: the
# variable); a dict key that is not an int is 2 * blob of its repr ("'k'");
# a = 0 for an absent key (`k in d` false) or a deleted variable.
SHARED_READ = 50      # obj=shared object, a=value read, b=part
SHARED_WRITE = 51     # obj=shared object, a=value written (or "method(args)" for list/dict methods), b=part
#   value: > 0 a summary blob (repr, <= 80 chars; "!KeyError" if the access
#   raised); < 0 an int v inline (no blob): a = -(2**51 + v), v = -a - 2**51,
#   for |v| < 2**50; 0 none.
#   part: 0 = the whole object (value, slice, len, list/dict-wide method);
#   odd = element index i stored as 2*i+1 (Array element, list index (may be
#   negative for list proxies), int dict key, |i| < 2**51); even non-zero = 2*blob id of a
#   name (Namespace attribute, Structure field, repr of a non-int dict key).

# --- asyncio ----------------------------------------------------------------
# Task ids are object ids of the creating process.  site = the user's line of
# create_task / gather / ensure_future / TaskGroup.create_task / asyncio.run
# (0 for a task first seen at its first step: created by Task() directly).
# Tasks that run a coroutine of the standard library itself (asyncio.run's
# shutdown steps, start_server's accept tasks) are not recorded.
ASYNC_CREATE = 60     # obj=task id, a=name blob (task.get_name()), b=coroutine blob (qualname); end (a point's, else 0) =
                      #   blob of the installed package whose code the coroutine is (its code file is under
                      #   site-packages / dist-packages, lib_sites.package_of): a library's task ("distributed",
                      #   "tornado"); 0 for the program's own.  (The standard library's tasks are not recorded.)
ASYNC_RUN = 61        # span: one step of a task on its loop thread: obj=task id (an eager task's first step is inside create_task)
ASYNC_END = 62        # obj=task id, a=1 ok, 0 raised, 2 cancelled; b=exception blob when raised ("Type: message"; "Type" if the class has its own __str__)
ASYNC_WAIT = 63       # span: a suspended task waiting (asyncio_waits.py): ts=end of the step that suspended it,
                      #   end=start of its next step (0 while still waiting); ident=the loop thread; obj=task id;
                      #   site=the user's `await` line (innermost user coroutine); b=what it waits on, a=that object:
                      #   1 asyncio.sleep (a=0); 2 a plain future (a=0); 3 another task (a=its task id: await task,
                      #   wait_for, shield; 0 if that task is not recorded); 4 gather (a=group id: all of it);
                      #   5/6/7 asyncio.wait ALL_COMPLETED / FIRST_COMPLETED (also as_completed) / FIRST_EXCEPTION
                      #   (a=group id or 0); 8 TaskGroup exit (a=group of its tasks); 9 Queue.get, 10 Queue.put
                      #   (full), 11 Queue.join (a=the queue); 12 Lock.acquire, 13 Event.wait, 14 Condition.wait /
                      #   wait_for, 15 Semaphore / BoundedSemaphore.acquire, 16 Barrier.wait (a=the object; 0 if
                      #   the standard library made it); 17 I/O (streams, loop socket / connection calls; a=0).
                      #   Groups are listed by TASK_WAIT_MEMBER records (obj=group id, a=a task id, b=1) written
                      #   just before.  Whatever satisfied the wait (a task's ASYNC_END, a QUEUE_PUT, an EVENT_SET,
                      #   a release...) comes before the span's end.  A bare yield (sleep(0)) is no wait.
ASYNC_HOLD = 64       # span: a task holds an asyncio.Lock / Semaphore / BoundedSemaphore (asyncio_sync.py): obj=the
                      #   lock, a=task id of the holder (0: none recorded), ts=acquire returned, end=release (0 while
                      #   held); ident=the loop thread; site=the user's acquire / `async with` line.  Holds of one
                      #   Lock never overlap; a semaphore's holds are per task.  A release by a task holding none
                      #   is a LOCK_RELEASE point (a Lock's release by another task ends the open hold instead).
# asyncio objects made by user code: OBJECT a = "asyncio.Queue", "asyncio.LifoQueue", "asyncio.PriorityQueue",
# "asyncio.Lock", "asyncio.Event", "asyncio.Condition", "asyncio.Semaphore", "asyncio.BoundedSemaphore",
# "asyncio.Barrier"; b = the variable's name.  Their operations reuse the threading kinds, written in the step of
# the task that does them (the task is the one whose ASYNC_RUN on that thread contains the record): QUEUE_PUT /
# QUEUE_GET zero-length spans at put_nowait / get_nowait (put() and get() end there) with message ids (a; b=1 it
# raised QueueFull / QueueEmpty); EVENT_SET (b=1 clear); COND_NOTIFY (a=n, -1 notify_all).  Their waits are
# ASYNC_WAIT spans (b=9..16, a=the object).

# --- time and output --------------------------------------------------------
SLEEP = 70            # span: time.sleep called from user code or given as the callable to Thread / executor / Pool / call_soon (the stdlib's own polling sleeps are not recorded); site=the user's line (0 if none): a=requested ns (-1 if not an int/float), b=1 if it raised (ValueError, or an exception from a signal handler)
IO_WRITE = 71         # write to the process's own sys.stdout / sys.stderr: a=text blob (first 4096 chars; bytes written to .buffer decoded as UTF-8 with replacement), b=stream (1 stdout, 2 stderr) | 256 bytes via .buffer | 512 text truncated; site=the user's call

# --- manager proxy calls and connections between traces (80-89) --------------
# TCP channel ids are not inodes (meaningless on another host): the channel of
# a TCP end is 2**52 + 51 bits of a hash of "tcp <this ip:port>><peer ip:port>"
# (connections.py), so both ends, in any trace on any host, compute both
# ends' channels.  A call key (proxy_calls.py) mixes the request's content key
# with the caller's end's channel: caller and server derive it from what each
# has, without a byte added to the connection; equal keys pair k-th with k-th.
CONN_OPEN = 80        # a TCP connection's ends, once per connection and process (first traced use): obj=this end's channel, a=the peer end's channel, b=blob "this ip:port > peer ip:port"
PROXY_CALL = 81       # span in the caller around one manager request and its reply (BaseProxy._callmethod): obj=the referent's id (as the proxy's other records name it), site=the user's call, a=method name blob, b=call key (0 if unknown)
PROXY_SERVE = 82      # span in the manager's server thread (Server.serve_client) from a request received to its reply sent: obj=the referent's id as a client reaching the server at its own address names a Manager queue, a=method name blob (0 if not readable), b=call key

# --- processes this run does not trace, seen through a library (110-114) -----
# dask.distributed workers on other machines report their tasks through dask's
# own event log to a traced Client (lib_distributed_remote).  The client writes
# them into its own event file: the reader makes each remote process a process
# of its host (named "<host>: dask-worker <address>", a pid of its own above any
# real one), its threads, and TASK_RUN spans on them.  A remote process id is a
# writer object id of the client.  Times are the client's monotonic clock,
# converted from the worker's (scheduler's) clock with the offset estimate of
# REMOTE_CLOCK; ident of REMOTE_THREAD / REMOTE_TASK_RUN is the remote thread's.
REMOTE_PROCESS = 110  # obj=remote process id, a=blob JSON {"engine": "dask", "host": host name, "address": worker address, "pid": its pid}
REMOTE_THREAD = 111   # ident=the remote thread, obj=remote process id, a=name blob
REMOTE_CLOCK = 112    # obj=remote process id, a=ns the remote clock reads ahead of this process's wall clock, b=uncertainty ns (the offset is within a +- b; -1 unknown); the latest holds
REMOTE_TASK_RUN = 113 # span: ident=the remote thread, obj=task id (as TASK_RUN), a=key blob, b=remote process id
