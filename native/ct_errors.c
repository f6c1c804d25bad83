/*
 * Exceptions raised by Python code that the tracer calls from C (a call site
 * seen for the first time, the writer growing its file, a trampoline's
 * before / after).
 *
 * Such an exception is either the tracer's own failure (dropped, as
 * guard.tracer_failed does) or the program's (guard.raised_by_program: a
 * signal handler ran at a check inside tracer code and raised, its frame on
 * the traceback; an exception of a non-builtin type raised into the thread
 * with PyThreadState_SetAsyncExc; and KeyboardInterrupt / SystemExit).  The program's exception is held for the rest of
 * the C operation (held_exc), then
 *   - raised at once if the operation has not done anything the program can
 *     see yet (before a lock is taken or a wrapped call made): the program
 *     sees it as arriving just before the call;
 *   - else re-raised at the program's next instruction: Py_AddPendingCall in
 *     the main thread (where signal handlers run), PyThreadState_SetAsyncExc
 *     in another thread: the program sees it as arriving just after the call.
 * Either way the tracer's own frames are taken off its traceback.
 * Tracer Python code runs with asynchronous signals blocked (call_tracer), so
 * a signal handler rarely runs inside it: only an exception raised into the
 * thread (PyThreadState_SetAsyncExc) or the handler of a signal tripped just
 * before still goes through the rules above.
 */

static PyObject *fetch_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    if (t == NULL)
        return NULL;
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb != NULL && v != NULL)
        PyException_SetTraceback(v, tb);
    Py_XDECREF(t);
    Py_XDECREF(tb);
    return v;
#endif
}

static void restore_exception(PyObject *exc) /* steals exc */
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(exc);
#else
    PyObject *tb = PyException_GetTraceback(exc);
    PyObject *t = (PyObject *)Py_TYPE(exc);
    Py_INCREF(t);
    PyErr_Restore(t, exc, tb);
#endif
}

/* Whether the traceback entry's code is the tracer's own. */
static int tb_is_tracer(PyObject *tb)
{
    int result = 0;
    if (runtime_prefix == NULL)
        return 0;
    PyObject *frame = PyObject_GetAttr(tb, s_tb_frame);
    PyObject *code = frame ? PyObject_GetAttr(frame, s_f_code) : NULL;
    PyObject *name = code ? PyObject_GetAttr(code, s_co_filename) : NULL;
    if (name != NULL && PyUnicode_Check(name))
        result = PyUnicode_Tailmatch(name, runtime_prefix, 0, PY_SSIZE_T_MAX, -1) == 1;
    Py_XDECREF(name);
    Py_XDECREF(code);
    Py_XDECREF(frame);
    PyErr_Clear();
    return result;
}

static PyObject *tb_next(PyObject *tb) /* new reference or NULL */
{
    PyObject *next = PyObject_GetAttr(tb, s_tb_next);
    if (next == NULL) {
        PyErr_Clear();
        return NULL;
    }
    if (next == Py_None) {
        Py_DECREF(next);
        return NULL;
    }
    return next;
}

/* The program's exception rather than the tracer's own failure: not an
   Exception (KeyboardInterrupt, SystemExit), or what the runtime's guard
   says (guard.raised_by_program: a non-builtin type, raised into the thread;
   or a frame of the program's code on its traceback, a signal handler's).
   If the guard cannot tell, the program's. */
static int belongs_to_program(PyObject *exc)
{
    PyObject *type = (PyObject *)Py_TYPE(exc);
    if (!PyErr_GivenExceptionMatches(type, PyExc_Exception) || classify == NULL)
        return 1;
    PyObject *r = VECTORCALL(classify, &exc, 1, NULL);
    if (r == NULL) {
        PyErr_Clear();
        return 1;
    }
    int program = PyObject_IsTrue(r);
    Py_DECREF(r);
    if (program < 0)
        PyErr_Clear();
    return program != 0;
}

/* Drop the tracer's own frames from the start of exc's traceback. */
static void strip_tracer_frames(PyObject *exc)
{
    PyObject *tb = PyException_GetTraceback(exc);
    int changed = 0;
    while (tb != NULL && tb != Py_None && tb_is_tracer(tb)) {
        PyObject *next = tb_next(tb);
        Py_DECREF(tb);
        tb = next;
        changed = 1;
    }
    if (changed)
        PyException_SetTraceback(exc, tb != NULL ? tb : Py_None);
    Py_XDECREF(tb);
}

static int raise_pending(void *unused)
{
    (void)unused;
    pending_scheduled = 0;
    if (pending == NULL || PyList_Size(pending) <= 0)
        return 0;
    PyObject *exc = PyList_GetItem(pending, 0);
    Py_INCREF(exc);
    PyList_SetSlice(pending, 0, 1, NULL);
    if (PyList_Size(pending) > 0 && Py_AddPendingCall(raise_pending, NULL) == 0)
        pending_scheduled = 1;
    restore_exception(exc);
    return -1;
}

/* Raise exc at the program's next instruction in this thread. */
static void schedule(PyObject *exc) /* steals exc */
{
    if (PyThread_get_thread_ident() == main_ident && pending != NULL) {
        if (PyList_Append(pending, exc) < 0)
            PyErr_Clear();
        Py_DECREF(exc);
        if (!pending_scheduled && Py_AddPendingCall(raise_pending, NULL) == 0)
            pending_scheduled = 1;
        return;
    }
    /* Another thread: the type travels, as it did when it was raised into
       the thread. */
    PyThreadState_SetAsyncExc(PyThread_get_thread_ident(), (PyObject *)Py_TYPE(exc));
    Py_DECREF(exc);
}

/* Called with an exception set by tracer Python code: clears it, dropping the
   tracer's failure or holding the program's exception. */
static void tracer_exception(void)
{
    PyObject *exc = fetch_exception();
    if (exc == NULL)
        return;
    if (!debug_mode && !belongs_to_program(exc)) {
        Py_DECREF(exc);
        return;
    }
    strip_tracer_frames(exc);
    if (held_exc != NULL) {
        /* One at a time, as the interpreter raises them. */
        Py_DECREF(exc);
        return;
    }
    held_exc = exc;
}

/* Before the operation does anything the program can see: raise the held
   exception now (returns 1, the error set). */
static int raise_held_now(void)
{
    PyObject *exc = held_exc;
    if (exc == NULL)
        return 0;
    held_exc = NULL;
    restore_exception(exc);
    return 1;
}

/* At the end of every C entry point: a held exception goes to the program's
   next instruction. */
static inline void flush_held(void)
{
    PyObject *exc = held_exc;
    if (exc != NULL) {
        held_exc = NULL;
        schedule(exc);
    }
}

/* Tracer Python code runs with the asynchronous signals blocked, so that no
   handler runs in the middle of it (3.14 checks for signals between a `with`
   statement's __enter__ and the setup of its handler: a handler raising there
   leaves the lock of that statement held; it once left the writer's own
   growth lock held, and the next growth hung).  Handlers of signals that were
   already tripped run first, now: their exception is the program's, held.
   A signal that arrives meanwhile is delivered at the unblock, its handler
   runs at the program's next instruction.  Synchronous signals stay open. */
typedef struct {
    sigset_t old;
    int blocked;
} SignalGuard;

static void signals_block(SignalGuard *g)
{
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGTRAP);
    sigdelset(&all, SIGABRT);
    g->blocked = pthread_sigmask(SIG_BLOCK, &all, &g->old) == 0;
    /* After the block: a signal delivered before it is tripped by now. */
    if (PyErr_CheckSignals() < 0)
        tracer_exception();
}

static void signals_restore(SignalGuard *g)
{
    if (g->blocked)
        pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* The same without blocking signals (cheaper: for code that takes no lock). */
static PyObject *call_tracer_open(PyObject *fn, PyObject *const *args, Py_ssize_t n)
{
    if (fn == NULL)
        return NULL;
    PyObject *r = VECTORCALL(fn, args, (size_t)n, NULL);
    if (r == NULL)
        tracer_exception();
    return r;
}

static PyObject *call_tracer(PyObject *fn, PyObject *const *args, Py_ssize_t n)
{
    if (fn == NULL)
        return NULL;
    SignalGuard g;
    signals_block(&g);
    PyObject *r = VECTORCALL(fn, args, (size_t)n, NULL);
    if (r == NULL)
        tracer_exception();
    signals_restore(&g);
    return r;
}
