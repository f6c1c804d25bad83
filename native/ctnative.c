/*
 * _ctnative (see ct_state.h): one translation unit, built by native/build.mjs.
 * This file: the module, its configuration, and the writer's entry points for
 * the other areas.  Every entry point that may run tracer Python code ends
 * with flush_held() (ct_errors.c).
 */
#include "ct_state.h"
#include "ct_errors.c"
#include "ct_writer.c"
#include "ct_sites.c"
#include "ct_locks.c"
#include "ct_wrapper.c"

static int64_t arg_ll(PyObject *v, int *err)
{
    long long x = PyLong_AsLongLong(v);
    if (x == -1 && PyErr_Occurred())
        *err = 1;
    return x;
}

/* point(kind, obj, site, a=0, b=0) -> offset: a point record now (also a
   span's start, end 0: begin). 0 when nothing was written. */
static PyObject *m_point(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    if (nargs < 3 || nargs > 5) {
        PyErr_SetString(PyExc_TypeError, "point(kind, obj, site, a=0, b=0)");
        return NULL;
    }
    int err = 0;
    int64_t v[5] = {0, 0, 0, 0, 0};
    for (Py_ssize_t i = 0; i < nargs; i++)
        v[i] = arg_ll(args[i], &err);
    if (err)
        return NULL;
    int64_t off = writer_enabled() ? begin_record(v[0], v[1], v[2], v[3], v[4]) : 0;
    flush_held();
    return PyLong_FromLongLong(off);
}

/* point_at(kind, ts, ident, obj, site, a=0, b=0, end=0) -> offset. */
static PyObject *m_point_at(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    if (nargs < 5 || nargs > 8) {
        PyErr_SetString(PyExc_TypeError, "point_at(kind, ts, ident, obj, site, a=0, b=0, end=0)");
        return NULL;
    }
    int err = 0;
    int64_t v[8] = {0};
    for (Py_ssize_t i = 0; i < nargs; i++)
        v[i] = arg_ll(args[i], &err);
    if (err)
        return NULL;
    if (!writer_enabled())
        return PyLong_FromLong(0);
    int64_t off = claim_slot();
    if (off < 0 || write_record(off, v[0], v[1], v[2], v[3], v[4], v[7], v[5], v[6]) < 0)
        off = 0;
    flush_held();
    return PyLong_FromLongLong(off);
}

/* finish(off, a=0, b=0): close a span now with its final a and b. */
static PyObject *m_finish(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    if (nargs < 1 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "finish(off, a=0, b=0)");
        return NULL;
    }
    int err = 0;
    int64_t v[3] = {0, 0, 0};
    for (Py_ssize_t i = 0; i < nargs; i++)
        v[i] = arg_ll(args[i], &err);
    if (err)
        return NULL;
    if (v[0] > 0 && writer_enabled())
        write_end(v[0], now_ns(), 1, v[1], v[2]);
    Py_RETURN_NONE;
}

/* finish_time(off, t=now): close a span, keeping its a and b. */
static PyObject *m_finish_time(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    (void)m;
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "finish_time(off, t=0)");
        return NULL;
    }
    int err = 0;
    int64_t off = arg_ll(args[0], &err);
    int64_t t = nargs > 1 ? arg_ll(args[1], &err) : 0;
    if (err)
        return NULL;
    if (off > 0 && writer_enabled())
        write_end(off, t ? t : now_ns(), 0, 0, 0);
    Py_RETURN_NONE;
}

/* site_of(frame) -> site id of the frame's current instruction (cached by
   code and instruction when the frame is user code). */
static PyObject *m_site_of(PyObject *m, PyObject *frame)
{
    (void)m;
    int64_t sid = writer_enabled() ? site_of_frame(frame) : 0;
    flush_held();
    return PyLong_FromLongLong(sid);
}

/* caller_site() -> site id of the frame that calls it. */
static PyObject *m_caller_site(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    int64_t sid = writer_enabled() ? caller_site() : 0;
    flush_held();
    return PyLong_FromLongLong(sid);
}

static PyObject *m_now(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    return PyLong_FromLongLong(now_ns());
}

static PyObject *m_reset(PyObject *m, PyObject *arg)
{
    (void)m;
    site_cache_clear();
    unsigned long id = PyLong_AsUnsignedLong(arg);
    if (id == (unsigned long)-1 && PyErr_Occurred())
        return NULL;
    main_ident = id;
    if (pending != NULL)
        PyList_SetSlice(pending, 0, PyList_Size(pending), NULL);
    pending_scheduled = 0;
    Py_RETURN_NONE;
}

static int fetch_raw(RawType *rt, PyObject *type, int with_owned)
{
    rt->type = (PyTypeObject *)type;
    Py_INCREF(type);
    rt->acquire = PyObject_GetAttr(type, s_acquire);
    rt->release = PyObject_GetAttr(type, s_release);
    rt->is_owned = with_owned ? PyObject_GetAttr(type, s_is_owned) : NULL;
    rt->locked = with_owned ? NULL : PyObject_GetAttr(type, s_locked);
    return rt->acquire && rt->release && (with_owned ? rt->is_owned != NULL : rt->locked != NULL) ? 0 : -1;
}

#define KEEP(var, value)        \
    do {                        \
        Py_INCREF(value);       \
        CT_SET(var, value);     \
    } while (0)

/* configure(writer=, site_lookup=, runtime_prefix=, allocate_lock=,
             rlock_type=, classify=, method_type=,
             kinds=(LOCK_WAIT, LOCK_HOLD, LOCK_TRY_FAIL), main_ident=, debug=,
             enter_takes_args=True, exit_takes_any=True, perturb_point=None) */
static PyObject *m_configure(PyObject *m, PyObject *args, PyObject *kwargs)
{
    (void)m;
    static const char *kw[] = {"writer", "site_lookup", "runtime_prefix", "allocate_lock", "rlock_type",
                               "classify", "method_type", "kinds", "main_ident",
                               "debug", "enter_takes_args", "exit_takes_any", "perturb_point", NULL};
    PyObject *writer, *lookup, *prefix, *alloc, *rlock, *cls, *mtype, *point = Py_None;
    long long kwait, khold, kfail;
    unsigned long ident_main;
    int debug, enter_args = 1, exit_any = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOUOOOO(LLL)kp|ppO:configure", (char **)kw, &writer,
                                     &lookup, &prefix, &alloc, &rlock, &cls, &mtype, &kwait,
                                     &khold, &kfail, &ident_main, &debug, &enter_args, &exit_any, &point))
        return NULL;
    PyObject *wd = PyObject_GetAttrString(writer, "__dict__");
    if (wd == NULL)
        return NULL;
    if (!PyDict_Check(wd)) {
        Py_DECREF(wd);
        PyErr_SetString(PyExc_TypeError, "writer.__dict__ is not a dict");
        return NULL;
    }
    CT_SET(writer_dict, wd);
    KEEP(site_lookup, lookup);
    KEEP(runtime_prefix, prefix);
    KEEP(fresh_lock, alloc);
    KEEP(classify, cls);
    KEEP(method_type, mtype);
    if (point == Py_None)
        Py_CLEAR(perturb_point);
    else
        KEEP(perturb_point, point);
    PyObject *probe = CALL_NOARGS(alloc);
    if (probe == NULL)
        return NULL;
    int bad = fetch_raw(&raw_lock, (PyObject *)Py_TYPE(probe), 0);
    Py_DECREF(probe);
    if (bad || fetch_raw(&raw_rlock, rlock, 1))
        return NULL;
    K_LOCK_WAIT = kwait;
    K_LOCK_HOLD = khold;
    K_LOCK_TRY_FAIL = kfail;
    main_ident = ident_main;
    debug_mode = debug;
    enter_takes_args = enter_args;
    exit_takes_any = exit_any;
    if (pending == NULL && (pending = PyList_New(0)) == NULL)
        return NULL;
    site_cache_clear();
    configured = 1;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"configure", (PyCFunction)(void (*)(void))m_configure, METH_VARARGS | METH_KEYWORDS,
     "configure(writer=, site_lookup=, runtime_prefix=, allocate_lock=, rlock_type=, "
     "classify=, method_type=, kinds=, main_ident=, debug=, enter_takes_args=True, "
     "exit_takes_any=True, perturb_point=None): start recording"},
    {"reset", m_reset, METH_O, "reset(main_ident): after fork, site ids start over"},
    {"point", (PyCFunction)(void (*)(void))m_point, METH_FASTCALL,
     "point(kind, obj, site, a=0, b=0) -> offset (0: not written)"},
    {"point_at", (PyCFunction)(void (*)(void))m_point_at, METH_FASTCALL,
     "point_at(kind, ts, ident, obj, site, a=0, b=0, end=0) -> offset"},
    {"finish", (PyCFunction)(void (*)(void))m_finish, METH_FASTCALL, "finish(off, a=0, b=0)"},
    {"finish_time", (PyCFunction)(void (*)(void))m_finish_time, METH_FASTCALL,
     "finish_time(off, t=0)"},
    {"site_of", m_site_of, METH_O, "site_of(frame) -> site id"},
    {"caller_site", m_caller_site, METH_NOARGS, "caller_site() -> site id of the calling frame"},
    {"now", m_now, METH_NOARGS, "now() -> clock_gettime(CLOCK_MONOTONIC) in ns"},
    {NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_ctnative",
    "Hot path of the Concurrency Trace runtime in C (native/ct_state.h).", -1,
    module_methods,
};

static PyObject *intern(const char *s)
{
    return PyUnicode_InternFromString(s);
}

/* Exported by name (3.8's PyMODINIT_FUNC does not set the visibility). */
__attribute__((visibility("default"))) PyMODINIT_FUNC PyInit__ctnative(void)
{
    if (!(s_enabled = intern("enabled")) || !(s_slots = intern("_slots")) || !(s_win = intern("_win")) ||
        !(s_put_record = intern("_put_record")) || !(s_put_end1 = intern("_put_end1")) ||
        !(s_abandon = intern("abandon")) || !(s_finish = intern("finish")) ||
        !(s_acquire = intern("acquire")) || !(s_release = intern("release")) ||
        !(s_is_owned = intern("_is_owned")) || !(s_self = intern("__self__")) ||
        !(s_module = intern("__module__")) || !(s_builtins = intern("builtins")) ||
        !(s_tb_frame = intern("tb_frame")) || !(s_tb_next = intern("tb_next")) ||
        !(s_f_code = intern("f_code")) || !(s_co_filename = intern("co_filename")) ||
        !(s_f_lasti = intern("f_lasti")) || !(s_f_back = intern("f_back")) ||
        !(s_blocking = intern("blocking")) || !(s_timeout = intern("timeout")) ||
        !(s_locked = intern("locked")) || !(s_enter = intern("__enter__")) || !(s_exit = intern("__exit__")))
        return NULL;
    PyObject *mod = PyModule_Create(&module_def);
    if (mod == NULL)
        return NULL;
    PyObject *lock = PyType_FromSpec(&Lock_spec);
    PyObject *rlock = PyType_FromSpec(&RLock_spec);
    PyObject *wrapper = PyType_FromSpec(&Wrapper_spec);
#if PY_VERSION_HEX < 0x03090000
    /* 3.8's PyType_FromSpec sets __module__ over the getset that gives the
       real callable's (pickling by reference looks it up): put it back. */
    if (wrapper != NULL) {
        PyObject *descr = PyDescr_NewGetSet((PyTypeObject *)wrapper, &Wrapper_getset[2]);
        if (descr == NULL || PyDict_SetItemString(((PyTypeObject *)wrapper)->tp_dict, "__module__", descr) < 0)
            Py_CLEAR(wrapper);
        Py_XDECREF(descr);
        if (wrapper != NULL)
            PyType_Modified((PyTypeObject *)wrapper);
    }
#endif
    if (lock == NULL || rlock == NULL || wrapper == NULL || PyModule_AddObject(mod, "Lock", lock) < 0 ||
        PyModule_AddObject(mod, "RLock", rlock) < 0 || PyModule_AddObject(mod, "Wrapper", wrapper) < 0 ||
        PyModule_AddIntConstant(mod, "API_VERSION", API_VERSION) < 0 ||
        PyModule_AddIntConstant(mod, "LIMITED_API",
#if defined(Py_LIMITED_API)
                                1
#else
                                0
#endif
                                ) < 0) {
        Py_XDECREF(lock);
        Py_XDECREF(rlock);
        Py_XDECREF(wrapper);
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
