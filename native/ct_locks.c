/*
 * Lock / RLock: the C bases of the traced threading.Lock / RLock wrappers
 * (concurrency_trace/locks.py subclasses them and adds the rest: Condition's
 * protocol, repr, __class__, pickling errors).  Records and their meaning are
 * those of the pure-Python path (concurrency_trace/lock_hot.py): uncontended,
 * one LOCK_HOLD written after the real acquire, its end (read before the real
 * release) written in place; held: a LOCK_WAIT span, then the hold;
 * acquire(blocking=False) that fails: LOCK_TRY_FAIL; an RLock records only the
 * outermost acquire / release.
 *
 * Arguments: none or one bool (the hot path); numbers (bool, int, float of the
 * exact types): checked by the real lock's acquire on a fresh free lock, which
 * raises what the real one would; anything else: passed to one call of the
 * real acquire (it converts them once, as untraced), inside a wait span.
 * Errors are the real lock's, raised by it: same type, message, traceback.
 */

typedef struct {
    PyObject_HEAD
    PyObject *lock;     /* the real lock */
    long long off;      /* offset of the open LOCK_HOLD record, 0: none */
    long long obj;      /* trace object id */
} CTLock;

/* Call the method descriptor `descr` on self.  Per-version builds before
   3.12 call its C function directly: calling the descriptor would count
   against the recursion limit a second time (an untraced `with lock:` counts
   once, as our own method does). */
static PyObject *raw_call(PyObject *descr, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames)
{
    Py_ssize_t nkw = kwnames ? PyTuple_Size(kwnames) : 0;
#if !defined(Py_LIMITED_API) && PY_VERSION_HEX < 0x030C0000
    if (descr != NULL && Py_TYPE(descr) == &PyMethodDescr_Type) {
        PyMethodDef *def = ((PyMethodDescrObject *)descr)->d_method;
        int flags = def->ml_flags & ~(METH_CLASS | METH_STATIC | METH_COEXIST);
        if (flags == METH_NOARGS && nargs == 0 && nkw == 0)
            return def->ml_meth(self, NULL);
        if (flags == (METH_VARARGS | METH_KEYWORDS) || (flags == METH_VARARGS && nkw == 0)) {
            PyObject *tuple = PyTuple_New(nargs);
            if (tuple == NULL)
                return NULL;
            for (Py_ssize_t i = 0; i < nargs; i++) {
                Py_INCREF(args[i]);
                PyTuple_SET_ITEM(tuple, i, args[i]);
            }
            PyObject *kw = NULL;
            if (nkw) {
                kw = PyDict_New();
                for (Py_ssize_t i = 0; kw && i < nkw; i++)
                    if (PyDict_SetItem(kw, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0)
                        Py_CLEAR(kw);
                if (kw == NULL) {
                    Py_DECREF(tuple);
                    return NULL;
                }
            }
            PyObject *r = (flags & METH_KEYWORDS)
                              ? ((PyCFunctionWithKeywords)(void (*)(void))def->ml_meth)(self, tuple, kw)
                              : def->ml_meth(self, tuple);
            Py_DECREF(tuple);
            Py_XDECREF(kw);
            return r;
        }
#if PY_VERSION_HEX >= 0x03090000
        if (flags == (METH_FASTCALL | METH_KEYWORDS))
            return ((_PyCFunctionFastWithKeywords)(void (*)(void))def->ml_meth)(self, args, nargs, kwnames);
        if (flags == METH_FASTCALL && nkw == 0)
            return ((_PyCFunctionFast)(void (*)(void))def->ml_meth)(self, args, nargs);
#endif
    }
#endif
    PyObject *stack[8];
    if (nargs + nkw > 7) {
        PyErr_SetString(PyExc_TypeError, "too many arguments");
        return NULL;
    }
    stack[0] = self;
    for (Py_ssize_t i = 0; i < nargs + nkw; i++)
        stack[1 + i] = args[i];
    return VECTORCALL(descr, stack, (size_t)(nargs + 1), kwnames);
}

/* A method of the real lock: the cached descriptor if the lock is of the
   expected type (and descr is given), else looked up by name. */
static PyObject *raw_method(PyObject *lock, RawType *rt, PyObject *descr, PyObject *name,
                            PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (Py_TYPE(lock) == rt->type && descr != NULL)
        return raw_call(descr, lock, args, nargs, kwnames);
    PyObject *bound = PyObject_GetAttr(lock, name);
    if (bound == NULL)
        return NULL;
    PyObject *r = VECTORCALL(bound, args, (size_t)nargs, kwnames);
    Py_DECREF(bound);
    return r;
}

static PyObject *try_acquire(PyObject *lock, RawType *rt)
{
    PyObject *arg = Py_False;
    return raw_method(lock, rt, rt->acquire, s_acquire, &arg, 1, NULL);
}

/* `on`: the writer was enabled when the operation began (read once). */
static inline int64_t site_if(int on)
{
    return on ? caller_site() : 0;
}

static void hold_begin(CTLock *self, int64_t site, int on)
{
    self->off = on ? begin_record(K_LOCK_HOLD, self->obj, site, 0, 0) : 0;
}

static void try_failed(CTLock *self, int64_t site, int on)
{
    if (on)
        begin_record(K_LOCK_TRY_FAIL, self->obj, site, 0, 0);
}

/* The blocking acquire (with the caller's arguments) inside a LOCK_WAIT
   span, then the hold.  The real lock's errors and the exceptions that signal
   handlers raise while it waits propagate as they are. */
static PyObject *wait_then_hold(CTLock *self, RawType *rt, int64_t site, int on, PyObject *const *args,
                                Py_ssize_t nargs, PyObject *kwnames)
{
    int64_t off = on ? begin_record(K_LOCK_WAIT, self->obj, site, 0, 0) : 0;
    if (held_exc != NULL) {
        /* A signal handler raised while the tracer prepared: the program
           sees it before the acquire (which would otherwise wait with the
           exception held back). */
        if (off)
            write_end(off, now_ns(), 1, 0, 0);
        raise_held_now();
        return NULL;
    }
    PyObject *r = raw_method(self->lock, rt, rt->acquire, s_acquire, args, nargs, kwnames);
    if (r == NULL) {
        if (off) {
            PyObject *exc = fetch_exception();
            write_end(off, now_ns(), 1, 0, 0);
            if (exc != NULL)
                restore_exception(exc);
        }
        return NULL;
    }
    int got = r == Py_True;
    /* One clock read: the wait ends when the hold begins. */
    int64_t t = off || (got && on) ? now_ns() : 0;
    if (off)
        write_end(off, t, 1, got, 0);
    if (got)
        self->off = on ? begin_record_at(K_LOCK_HOLD, t, self->obj, site, 0, 0) : 0;
    return r;
}

static int exact_number(PyObject *v)
{
    return PyBool_Check(v) || PyLong_CheckExact(v) || PyFloat_CheckExact(v);
}

static int name_is(PyObject *k, PyObject *name)
{
    return PyUnicode_Check(k) && PyUnicode_Compare(k, name) == 0;
}

/* acquire() with arguments other than none or one bool; not a nested RLock
   acquire.  fresh() makes a free lock of the real type. */
static PyObject *acquire_args(CTLock *self, RawType *rt, PyObject *fresh, int on, PyObject *const *args,
                              Py_ssize_t nargs, PyObject *kwnames)
{
    Py_ssize_t nkw = kwnames ? PyTuple_Size(kwnames) : 0;
    PyObject *blocking = nargs > 0 ? args[0] : NULL;
    int simple = nargs <= 2;
    for (Py_ssize_t i = 0; simple && i < nargs + nkw; i++)
        simple = exact_number(args[i]);
    for (Py_ssize_t i = 0; simple && i < nkw; i++) {
        PyObject *k = PyTuple_GetItem(kwnames, i);
        if (name_is(k, s_blocking))
            blocking = args[nargs + i];
        else if (!name_is(k, s_timeout))
            simple = 0;
    }
    if (!simple)
        return wait_then_hold(self, rt, site_if(on), on, args, nargs, kwnames);
    /* The real lock's own argument checks, on a free lock that never blocks. */
    PyObject *probe = CALL_NOARGS(fresh);
    if (probe == NULL)
        return NULL;
    PyObject *probe_acquire = PyObject_GetAttr(probe, s_acquire);
    Py_DECREF(probe);
    if (probe_acquire == NULL)
        return NULL;
    PyObject *ok = VECTORCALL(probe_acquire, args, (size_t)nargs, kwnames);
    Py_DECREF(probe_acquire);
    if (ok == NULL)
        return NULL;
    Py_DECREF(ok);
    int block = blocking == NULL ? 1 : PyObject_IsTrue(blocking) > 0;
    PyObject *r = try_acquire(self->lock, rt);
    if (r == NULL)
        return NULL;
    int64_t site = site_if(on);
    if (r == Py_True) {
        hold_begin(self, site, on);
        return r;
    }
    Py_DECREF(r);
    if (!block) {
        try_failed(self, site, on);
        Py_RETURN_FALSE;
    }
    return wait_then_hold(self, rt, site, on, args, nargs, kwnames);
}

/* 1: acquire() / acquire(True) / acquire(blocking=True); 0: the same with
   False; -1: anything else. */
static int simple_mode(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    Py_ssize_t nkw = kwnames ? PyTuple_Size(kwnames) : 0;
    if (nargs + nkw == 0)
        return 1;
    if (nargs + nkw != 1 || (nkw == 1 && !name_is(PyTuple_GetItem(kwnames, 0), s_blocking)))
        return -1;
    if (args[0] == Py_True)
        return 1;
    if (args[0] == Py_False)
        return 0;
    return -1;
}

static int check_lock(CTLock *self)
{
    if (self->lock == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_lock");
        return -1;
    }
    return 0;
}

/* The acquire of a lock not held by this thread (any Lock; an RLock it does
   not own). */
static PyObject *acquire_unowned(CTLock *self, RawType *rt, PyObject *fresh, PyObject *const *args,
                                 Py_ssize_t nargs, PyObject *kwnames)
{
    int on = writer_enabled();
    int mode = simple_mode(args, nargs, kwnames);
    if (mode < 0)
        return acquire_args(self, rt, fresh, on, args, nargs, kwnames);
    PyObject *r = try_acquire(self->lock, rt);
    if (r == NULL)
        return NULL;
    if (r == Py_True) {
        hold_begin(self, site_if(on), on);
        return r;
    }
    Py_DECREF(r);
    int64_t site = site_if(on);
    if (mode == 0) {
        try_failed(self, site, on);
        Py_RETURN_FALSE;
    }
    return wait_then_hold(self, rt, site, on, NULL, 0, NULL);
}

/* Schedule perturbation (perturb.py): its point before an acquire, called
   plainly (signals not blocked: Ctrl-C ends the pause).  An exception from it
   came before the acquire: nothing is taken.  RecursionError: its frames went
   over the limit, where untraced there are none: no point. */
static int perturb_before_acquire(void)
{
    if (perturb_point == NULL)
        return 0;
    PyObject *r = CALL_NOARGS(perturb_point);
    if (r == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_RecursionError))
            return -1;
        PyErr_Clear();
        return 0;
    }
    Py_DECREF(r);
    return 0;
}

static PyObject *Lock_acquire(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    CTLock *self = (CTLock *)op;
    if (check_lock(self) < 0 || perturb_before_acquire() < 0)
        return NULL;
    PyObject *r = acquire_unowned(self, &raw_lock, fresh_lock, args, PyVectorcall_NARGS(nargsf), kwnames);
    flush_held();
    return r;
}

/* __enter__ is acquire, but 3.15's takes no arguments: with some, the real
   lock's own __enter__ raises its error (before it acquires anything). */
static PyObject *real_enter_error(PyObject *lock, PyObject *const *args, Py_ssize_t nargs,
                                  PyObject *kwnames)
{
    PyObject *enter = PyObject_GetAttr(lock, s_enter);
    if (enter == NULL)
        return NULL;
    PyObject *r = VECTORCALL(enter, args, (size_t)nargs, kwnames);
    Py_DECREF(enter);
    return r;
}

static PyObject *Lock_enter(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if ((nargs || kwnames) && !enter_takes_args && ((CTLock *)op)->lock != NULL)
        return real_enter_error(((CTLock *)op)->lock, args, nargs, kwnames);
    return Lock_acquire(op, args, nargsf, kwnames);
}

/* The real __exit__'s error for arguments it does not take (3.15: exactly 3). */
static int exit_args_wrong(Py_ssize_t nargs)
{
    return !exit_takes_any && nargs != 3;
}

/* release() and __exit__(*args): the end time is read before the real
   release, so the holds of one lock never overlap. */
static PyObject *Lock_release_impl(CTLock *self, PyObject *const *args, Py_ssize_t nargs, int is_exit)
{
    if (check_lock(self) < 0)
        return NULL;
    if (nargs && !is_exit) /* the real lock's error for arguments */
        return raw_method(self->lock, &raw_lock, raw_lock.release, s_release, args, nargs, NULL);
    if (is_exit && exit_args_wrong(nargs))
        return raw_method(self->lock, &raw_lock, NULL, s_exit, args, nargs, NULL);
    int64_t off = self->off;
    int64_t t = off ? now_ns() : 0;
    PyObject *r = raw_method(self->lock, &raw_lock, raw_lock.release, s_release, NULL, 0, NULL);
    if (r == NULL)
        return NULL;
    self->off = 0;
    if (off && writer_enabled())
        write_end(off, t, 0, 0, 0);
    return r;
}

static PyObject *Lock_release(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return Lock_release_impl((CTLock *)self, args, nargs, 0);
}

static PyObject *Lock_exit(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return Lock_release_impl((CTLock *)self, args, nargs, 1);
}

/* RLock: a nested acquire / release is the real lock's alone. */

static int rlock_owned(PyObject *lock)
{
    PyObject *r = raw_method(lock, &raw_rlock, raw_rlock.is_owned, s_is_owned, NULL, 0, NULL);
    if (r == NULL)
        return -1;
    int owned = r == Py_True;
    Py_DECREF(r);
    return owned;
}

static PyObject *RLock_acquire(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    CTLock *self = (CTLock *)op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (check_lock(self) < 0 || perturb_before_acquire() < 0)
        return NULL;
    int owned = rlock_owned(self->lock);
    if (owned < 0)
        return NULL;
    if (owned)
        return raw_method(self->lock, &raw_rlock, raw_rlock.acquire, s_acquire, args, nargs, kwnames);
    PyObject *r = acquire_unowned(self, &raw_rlock, (PyObject *)Py_TYPE(self->lock), args, nargs, kwnames);
    flush_held();
    return r;
}

static PyObject *RLock_enter(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if ((nargs || kwnames) && !enter_takes_args && ((CTLock *)op)->lock != NULL)
        return real_enter_error(((CTLock *)op)->lock, args, nargs, kwnames);
    return RLock_acquire(op, args, nargsf, kwnames);
}

static PyObject *RLock_release_impl(CTLock *self, PyObject *const *args, Py_ssize_t nargs, int is_exit)
{
    if (check_lock(self) < 0)
        return NULL;
    if (nargs && !is_exit)
        return raw_method(self->lock, &raw_rlock, raw_rlock.release, s_release, args, nargs, NULL);
    if (is_exit && exit_args_wrong(nargs))
        return raw_method(self->lock, &raw_rlock, NULL, s_exit, args, nargs, NULL);
    int64_t off = self->off;
    int64_t t = off ? now_ns() : 0;
    PyObject *r = raw_method(self->lock, &raw_rlock, raw_rlock.release, s_release, NULL, 0, NULL);
    if (r == NULL)
        return NULL;
    if (off) {
        int owned = rlock_owned(self->lock);
        if (owned < 0)
            PyErr_Clear();
        else if (!owned && writer_enabled())
            write_end(off, t, 0, 0, 0);
    }
    return r;
}

static PyObject *RLock_release(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return RLock_release_impl((CTLock *)self, args, nargs, 0);
}

static PyObject *RLock_exit(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return RLock_release_impl((CTLock *)self, args, nargs, 1);
}

static void CTLock_dealloc(PyObject *op)
{
    CTLock *self = (CTLock *)op;
    PyTypeObject *tp = Py_TYPE(op);
    Py_CLEAR(self->lock);
    freefunc tp_free = (freefunc)PyType_GetSlot(tp, Py_tp_free);
    tp_free(op);
    Py_DECREF(tp);
}

static PyMemberDef CTLock_members[] = {
    {"_lock", MEMBER_OBJECT, offsetof(CTLock, lock), 0, "the real lock"},
    {"_off", MEMBER_LONGLONG, offsetof(CTLock, off), 0, "offset of the open LOCK_HOLD record (0: none)"},
    {"_obj", MEMBER_LONGLONG, offsetof(CTLock, obj), 0, "trace object id"},
    {NULL},
};

#define FASTKW (METH_FASTCALL | METH_KEYWORDS)
#define CFUNC(f) (PyCFunction)(void (*)(void))(f)

/* locked() / _is_owned(): the real lock's, without a Python frame. */
static PyObject *Lock_locked(PyObject *op, PyObject *const *args, Py_ssize_t nargs)
{
    CTLock *self = (CTLock *)op;
    if (check_lock(self) < 0)
        return NULL;
    return raw_method(self->lock, &raw_lock, raw_lock.locked, s_locked, args, nargs, NULL);
}

static PyObject *RLock_is_owned(PyObject *op, PyObject *const *args, Py_ssize_t nargs)
{
    CTLock *self = (CTLock *)op;
    if (check_lock(self) < 0)
        return NULL;
    return raw_method(self->lock, &raw_rlock, raw_rlock.is_owned, s_is_owned, args, nargs, NULL);
}

static PyMethodDef Lock_methods[] = {
    {"acquire", CFUNC(Lock_acquire), FASTKW, NULL},
    {"locked", CFUNC(Lock_locked), METH_FASTCALL, NULL},
    {"__enter__", CFUNC(Lock_enter), FASTKW, NULL},
    {"release", CFUNC(Lock_release), METH_FASTCALL, NULL},
    {"__exit__", CFUNC(Lock_exit), METH_FASTCALL, NULL},
    {NULL},
};

static PyMethodDef RLock_methods[] = {
    {"acquire", CFUNC(RLock_acquire), FASTKW, NULL},
    {"_is_owned", CFUNC(RLock_is_owned), METH_FASTCALL, NULL},
    {"__enter__", CFUNC(RLock_enter), FASTKW, NULL},
    {"release", CFUNC(RLock_release), METH_FASTCALL, NULL},
    {"__exit__", CFUNC(RLock_exit), METH_FASTCALL, NULL},
    {NULL},
};

static PyType_Slot Lock_slots[] = {
    {Py_tp_dealloc, CTLock_dealloc},
    {Py_tp_methods, Lock_methods},
    {Py_tp_members, CTLock_members},
    {Py_tp_doc, "C base of the traced threading.Lock wrapper (concurrency_trace.locks)"},
    {0, NULL},
};

static PyType_Slot RLock_slots[] = {
    {Py_tp_dealloc, CTLock_dealloc},
    {Py_tp_methods, RLock_methods},
    {Py_tp_members, CTLock_members},
    {Py_tp_doc, "C base of the traced threading.RLock wrapper (concurrency_trace.locks)"},
    {0, NULL},
};

static PyType_Spec Lock_spec = {"concurrency_trace._ctnative.Lock", sizeof(CTLock), 0,
                                Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, Lock_slots};
static PyType_Spec RLock_spec = {"concurrency_trace._ctnative.RLock", sizeof(CTLock), 0,
                                 Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, RLock_slots};
