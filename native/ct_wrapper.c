/*
 * Wrapper(real, before=None, after=None, guard=False): a trampoline for patched callables,
 * for the areas that patch the standard library in Python today (queues,
 * pools, pipes, processes).  Calling it:
 *
 *     token = before(*args, **kwargs)       # tracer code (may be None)
 *     result = real(*args, **kwargs)        # the program's call
 *     after(token, result, None)            # or after(token, None, exc)
 *     return result                         # or the real exception
 *
 * What it gives over a Python wrapper:
 *   - no frame of its own: the real function's exception propagates with the
 *     traceback and recursion depth of an untraced call;
 *   - before / after are tracer code: a failure of theirs (a builtin
 *     exception raised in tracer code only) is dropped, the call goes on;
 *   - an exception of the program raised while they run (a signal handler,
 *     KeyboardInterrupt, an async exception) is never lost and never lands
 *     between the real call and the return: raised in place of the call if
 *     it came during before (the real function is not called: the program
 *     sees it just before the call), re-raised at the program's next
 *     instruction if it came during after (just after the call);
 *   - guard=True: they run with asynchronous signals blocked (ct_errors.c),
 *     so no signal handler runs inside them at all (needed if they take a
 *     lock with a `with` statement: 3.14 can leave it held); it costs two
 *     pthread_sigmask calls around each (about 0.4 us each here).
 *
 * It binds like a function (a method on a class gets self), pickles by
 * reference as the real callable's qualified name, and shows the real
 * callable's __name__, __qualname__, __module__, __doc__ (and __wrapped__).
 */

typedef struct {
    PyObject_HEAD
    PyObject *real, *before, *after;
    int guard;  /* block asynchronous signals around before / after */
} Wrapper;



static PyObject *Wrapper_call(PyObject *op, PyObject *args, PyObject *kwargs)
{
    Wrapper *self = (Wrapper *)op;
    PyObject *token = NULL;
    if (self->before != NULL && self->before != Py_None) {
        SignalGuard g = {.blocked = 0};
        if (self->guard)
            signals_block(&g);
        token = PyObject_Call(self->before, args, kwargs);
        if (token == NULL)
            tracer_exception();
        signals_restore(&g);
        if (raise_held_now()) {
            Py_XDECREF(token);
            return NULL;
        }
    }
    PyObject *r = PyObject_Call(self->real, args, kwargs);
    if (self->after != NULL && self->after != Py_None) {
        PyObject *exc = r == NULL ? fetch_exception() : NULL;
        PyObject *targs[3] = {token ? token : Py_None, r ? r : Py_None, exc ? exc : Py_None};
        PyObject *done = self->guard ? call_tracer(self->after, targs, 3) : call_tracer_open(self->after, targs, 3);
        Py_XDECREF(done);
        if (exc != NULL)
            restore_exception(exc);
    }
    Py_XDECREF(token);
    flush_held();
    return r;
}

static PyObject *Wrapper_get(PyObject *op, PyObject *obj, PyObject *type)
{
    (void)type;
    if (obj == NULL || obj == Py_None || method_type == NULL) {
        Py_INCREF(op);
        return op;
    }
    PyObject *args[2] = {op, obj};
    return VECTORCALL(method_type, args, 2, NULL);
}

static PyObject *Wrapper_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static const char *kw[] = {"real", "before", "after", "guard", NULL};
    PyObject *real, *before = Py_None, *after = Py_None;
    int guard = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OOp:Wrapper", (char **)kw, &real, &before, &after, &guard))
        return NULL;
    allocfunc alloc = (allocfunc)PyType_GetSlot(type, Py_tp_alloc);
    Wrapper *self = (Wrapper *)alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(real);
    Py_INCREF(before);
    Py_INCREF(after);
    self->real = real;
    self->before = before;
    self->after = after;
    self->guard = guard;
    return (PyObject *)self;
}

static int Wrapper_traverse(PyObject *op, visitproc visit, void *arg)
{
    Wrapper *self = (Wrapper *)op;
#if PY_VERSION_HEX >= 0x03090000
    Py_VISIT(Py_TYPE(op));
#endif
    Py_VISIT(self->real);
    Py_VISIT(self->before);
    Py_VISIT(self->after);
    return 0;
}

static int Wrapper_clear(PyObject *op)
{
    Wrapper *self = (Wrapper *)op;
    Py_CLEAR(self->real);
    Py_CLEAR(self->before);
    Py_CLEAR(self->after);
    return 0;
}

static void Wrapper_dealloc(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    Wrapper_clear(op);
    freefunc tp_free = (freefunc)PyType_GetSlot(tp, Py_tp_free);
    tp_free(op);
    Py_DECREF(tp);
}

/* __name__, __qualname__, __module__, __doc__ are the real callable's. */
static PyObject *Wrapper_real_attr(PyObject *op, void *name)
{
    Wrapper *self = (Wrapper *)op;
    if (self->real == NULL) {
        PyErr_SetString(PyExc_AttributeError, (const char *)name);
        return NULL;
    }
    return PyObject_GetAttrString(self->real, (const char *)name);
}

static PyObject *Wrapper_reduce(PyObject *op, PyObject *unused)
{
    (void)unused;
    return Wrapper_real_attr(op, "__qualname__");
}

static PyObject *Wrapper_repr(PyObject *op)
{
    Wrapper *self = (Wrapper *)op;
    return PyObject_Repr(self->real);
}

static PyGetSetDef Wrapper_getset[] = {
    {"__name__", Wrapper_real_attr, NULL, NULL, "__name__"},
    {"__qualname__", Wrapper_real_attr, NULL, NULL, "__qualname__"},
    {"__module__", Wrapper_real_attr, NULL, NULL, "__module__"},
    {"__doc__", Wrapper_real_attr, NULL, NULL, "__doc__"},
    {NULL},
};

static PyMemberDef Wrapper_members[] = {
    {"__wrapped__", MEMBER_OBJECT, offsetof(Wrapper, real), 1 /* read-only */, NULL},
    {"before", MEMBER_OBJECT, offsetof(Wrapper, before), 1, NULL},
    {"after", MEMBER_OBJECT, offsetof(Wrapper, after), 1, NULL},
    {NULL},
};

static PyMethodDef Wrapper_methods[] = {
    {"__reduce__", Wrapper_reduce, METH_NOARGS, NULL},
    {NULL},
};

static PyType_Slot Wrapper_slots[] = {
    {Py_tp_new, Wrapper_new},
    {Py_tp_call, Wrapper_call},
    {Py_tp_descr_get, Wrapper_get},
    {Py_tp_traverse, Wrapper_traverse},
    {Py_tp_clear, Wrapper_clear},
    {Py_tp_dealloc, Wrapper_dealloc},
    {Py_tp_repr, Wrapper_repr},
    {Py_tp_getset, Wrapper_getset},
    {Py_tp_members, Wrapper_members},
    {Py_tp_methods, Wrapper_methods},
    {0, NULL},
};

static PyType_Spec Wrapper_spec = {"concurrency_trace._ctnative.Wrapper", sizeof(Wrapper), 0,
                                   Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, Wrapper_slots};
