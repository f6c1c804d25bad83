/*
 * Records into the writer's map (concurrency_trace/writer.py: enabled, _mm,
 * _cap, _next_slot, _grow are read from its module dict at every write, so
 * the writer may replace them: after fork, when it grows, when it stops).
 *
 * The buffer is taken with PyObject_GetBuffer for each write and released at
 * once, so the writer's mmap.resize keeps working.  Slots are claimed from the
 * writer's own counter (_next_slot is an itertools.count's __next__: its
 * tp_iternext is called directly, under the GIL, so Python and C claims
 * interleave in one sequence).  Fields 1-7 are stored before the kind (a and
 * b before the end) with release order: a reader that sees the kind (the end)
 * sees the rest.  A claimed slot is always written, except when the map
 * cannot grow (then the writer has stopped: enabled is False).
 * Nothing here raises: failures drop the record.
 */

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline int64_t ident(void)
{
    return (int64_t)PyThread_get_thread_ident();
}

static inline PyObject *wget(PyObject *key) /* borrowed, no exception */
{
    /* An exact dict and interned str keys: the lookup cannot raise (and an
       exception in flight is left alone). */
    return PyDict_GetItemWithError(writer_dict, key);
}

static inline int writer_enabled(void)
{
    if (!configured)
        return 0;
    PyObject *v = wget(s_enabled);
    if (v == Py_True)
        return 1;
    if (v == NULL || v == Py_False || v == Py_None)
        return 0;
    if (PyBool_Check(v) || PyLong_CheckExact(v)) {
        int t = PyObject_IsTrue(v);
        return t > 0;
    }
    return 0;
}

/* Claim the next slot from the writer's counter; its byte offset, or -1. */
static int64_t claim_slot(void)
{
    PyObject *ns = wget(s_next_slot);
    if (ns == NULL)
        return -1;
    if (ns != cached_next_slot) {
        Py_XDECREF(cached_counter);
        cached_counter = NULL;
        Py_INCREF(ns);
        CT_SET(cached_next_slot, ns);
        PyObject *self = PyObject_GetAttr(ns, s_self);
        if (self != NULL && (PyObject *)Py_TYPE(self) == count_type)
            cached_counter = self;
        else
            Py_XDECREF(self);
        PyErr_Clear();
    }
    PyObject *v;
    if (cached_counter != NULL) {
        v = PyIter_Next(cached_counter);
        if (v == NULL) {
            PyErr_Clear();
            return -1;
        }
    } else {
        v = call_tracer(ns, NULL, 0);
        if (v == NULL)
            return -1;
    }
    long long slot = PyLong_AsLongLong(v);
    Py_DECREF(v);
    if (slot == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    if (slot <= 0 || slot > (INT64_MAX >> 7))
        return -1;
    return (int64_t)slot << 6;
}

/* The map to write slot `off` into (a new reference), growing it if needed. */
static PyObject *map_for(int64_t off)
{
    PyObject *cap = wget(s_cap);
    long long c = cap ? PyLong_AsLongLong(cap) : -1;
    if (c == -1 && PyErr_Occurred())
        PyErr_Clear();
    if (off < c) {
        PyObject *mm = wget(s_mm);
        Py_XINCREF(mm);
        return mm;
    }
    PyObject *offobj = PyLong_FromLongLong(off);
    if (offobj == NULL) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *grow = wget(s_grow);
    Py_XINCREF(grow);
    PyObject *mm = call_tracer(grow, &offobj, 1);
    if (mm == NULL && grow != NULL && writer_enabled())
        /* The program's exception stopped the growth half-way (it is
           deferred): growing is idempotent, once more. */
        mm = call_tracer(grow, &offobj, 1);
    Py_XDECREF(grow);
    Py_DECREF(offobj);
    return mm;
}

typedef struct {
    Py_buffer view;
    PyObject *mm;
} Map;

static int64_t *slot_ptr(Map *m, int64_t off, PyObject *mm, Py_ssize_t need)
{
    m->mm = mm;
    if (mm == NULL)
        return NULL;
    if (PyObject_GetBuffer(mm, &m->view, PyBUF_WRITABLE) < 0) {
        PyErr_Clear();
        Py_DECREF(mm);
        m->mm = NULL;
        return NULL;
    }
    if (off < 0 || off + need > m->view.len || m->view.buf == NULL) {
        PyBuffer_Release(&m->view);
        Py_DECREF(mm);
        m->mm = NULL;
        return NULL;
    }
    return (int64_t *)((char *)m->view.buf + off);
}

static void map_done(Map *m)
{
    if (m->mm != NULL) {
        PyBuffer_Release(&m->view);
        Py_DECREF(m->mm);
        m->mm = NULL;
    }
}

/* Write a whole record at off (claimed); 0 written, -1 dropped. */
static int write_record(int64_t off, int64_t kind, int64_t ts, int64_t thread, int64_t obj,
                        int64_t site, int64_t end, int64_t a, int64_t b)
{
    Map m;
    int64_t *p = slot_ptr(&m, off, map_for(off), 64);
    if (p == NULL)
        return -1;
    p[1] = ts;
    p[2] = thread;
    p[3] = obj;
    p[4] = site;
    p[5] = end;
    p[6] = a;
    p[7] = b;
    __atomic_store_n(&p[0], kind, __ATOMIC_RELEASE);
    map_done(&m);
    return 0;
}

/* Close the span at off: its a and b (if set_ab), then its end. */
static void write_end(int64_t off, int64_t end, int set_ab, int64_t a, int64_t b)
{
    if (off <= 0)
        return;
    PyObject *mm = wget(s_mm);
    Py_XINCREF(mm);
    Map m;
    int64_t *p = slot_ptr(&m, off, mm, 64);
    if (p == NULL)
        return;
    if (set_ab) {
        p[6] = a;
        p[7] = b;
    }
    __atomic_store_n(&p[5], end, __ATOMIC_RELEASE);
    map_done(&m);
}

/* A new record now, on this thread: its offset, or 0 if none was written. */
static int64_t begin_record(int64_t kind, int64_t obj, int64_t site, int64_t a, int64_t b)
{
    int64_t off = claim_slot();
    if (off < 0)
        return 0;
    if (write_record(off, kind, now_ns(), ident(), obj, site, 0, a, b) < 0)
        return 0;
    return off;
}

