/*
 * Records into the writer's file (concurrency_trace/writer.py, format v2),
 * by the writer's hot-path contract:
 *     claim:  the next value of writer._slots (an itertools.count: its
 *             tp_iternext is called directly, under the GIL, so Python and C
 *             claims interleave in one sequence); off = slot << 6
 *     write:  (mm, base, end) = writer._win; if base <= off < end the record
 *             goes into mm at off - base, else writer._put_record(off, …)
 *     close:  the same test, else writer._put_end1(off, t)
 *     a claimed slot that cannot be written: writer.abandon(off)
 * enabled, _slots, _win and the functions are read from the writer's module
 * dict at every operation: the writer replaces them (a new window, a fork,
 * tracing stopped).  A record is int64 ts, ident, obj, site, end, a, b, kind:
 * the fields are stored before the kind (a and b before the end) with release
 * order, so a reader that sees the kind (the end) sees the rest.  The map's
 * buffer is taken per write and released at once.  Python code of the writer
 * (the slow paths) runs through call_tracer: signals blocked, exceptions
 * held or dropped (ct_errors.c).  Nothing here raises: failures drop the
 * record.
 */

#define END_AT 4    /* int64 index of the end field (byte 32) */
#define A_AT 5
#define KIND_AT 7

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
    if (PyBool_Check(v) || PyLong_CheckExact(v))
        return PyObject_IsTrue(v) > 0;
    return 0;
}

/* Claim the next slot from the writer's counter; its byte offset, or -1. */
static int64_t claim_slot(void)
{
    PyObject *slots = wget(s_slots);
    if (slots == NULL)
        return -1;
    PyObject *v = PyIter_Next(slots);
    if (v == NULL) {
        PyErr_Clear();
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

typedef struct {
    Py_buffer view;
    int held;
} Map;

/* The address of the slot at off if the current window holds it (its buffer
   taken: map_done releases it), else NULL. */
static int64_t *window_slot(Map *m, int64_t off)
{
    m->held = 0;
    PyObject *win = wget(s_win);
    if (win == NULL || !PyTuple_Check(win) || PyTuple_Size(win) != 3)
        return NULL;
    PyObject *mm = PyTuple_GetItem(win, 0);
    long long base = PyLong_AsLongLong(PyTuple_GetItem(win, 1));
    long long end = PyLong_AsLongLong(PyTuple_GetItem(win, 2));
    if ((base == -1 || end == -1) && PyErr_Occurred()) {
        PyErr_Clear();
        return NULL;
    }
    if (mm == NULL || mm == Py_None || off < base || off >= end)
        return NULL;
    if (PyObject_GetBuffer(mm, &m->view, PyBUF_WRITABLE) < 0) {
        PyErr_Clear();
        return NULL;
    }
    if (off - base + 64 > m->view.len || m->view.buf == NULL) {
        PyBuffer_Release(&m->view);
        return NULL;
    }
    m->held = 1;
    return (int64_t *)((char *)m->view.buf + (off - base));
}

static void map_done(Map *m)
{
    if (m->held) {
        PyBuffer_Release(&m->view);
        m->held = 0;
    }
}

/* A writer function by name, called as tracer code; 0 if it ran. */
static int writer_call(PyObject *name, PyObject *const *args, Py_ssize_t n)
{
    PyObject *fn = wget(name);
    if (fn == NULL)
        return -1;
    Py_INCREF(fn);
    PyObject *r = call_tracer(fn, args, n);
    Py_DECREF(fn);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

static int writer_call_ll(PyObject *name, const int64_t *v, Py_ssize_t n)
{
    PyObject *args[9];
    Py_ssize_t made = 0;
    int result = -1;
    for (; made < n; made++)
        if ((args[made] = PyLong_FromLongLong(v[made])) == NULL)
            break;
    if (made == n)
        result = writer_call(name, args, n);
    else
        PyErr_Clear();
    for (Py_ssize_t i = 0; i < made; i++)
        Py_DECREF(args[i]);
    return result;
}

/* Write a whole record at off (claimed); 0 written, -1 dropped (the slot
   marked dropped, so readers do not wait for it). */
static int write_record(int64_t off, int64_t kind, int64_t ts, int64_t thread, int64_t obj,
                        int64_t site, int64_t end, int64_t a, int64_t b)
{
    Map m;
    int64_t *p = window_slot(&m, off);
    if (p != NULL) {
        p[0] = ts;
        p[1] = thread;
        p[2] = obj;
        p[3] = site;
        p[END_AT] = end;
        p[A_AT] = a;
        p[A_AT + 1] = b;
        __atomic_store_n(&p[KIND_AT], kind, __ATOMIC_RELEASE);
        map_done(&m);
        return 0;
    }
    int64_t v[9] = {off, kind, ts, thread, obj, site, end, a, b};
    if (writer_call_ll(s_put_record, v, 9) == 0)
        return 0;
    writer_call_ll(s_abandon, v, 1);
    return -1;
}

/* Close the span at off: its a and b (if set_ab), then its end. */
static void write_end(int64_t off, int64_t end, int set_ab, int64_t a, int64_t b)
{
    if (off <= 0)
        return;
    Map m;
    int64_t *p = window_slot(&m, off);
    if (p != NULL) {
        if (set_ab) {
            p[A_AT] = a;
            p[A_AT + 1] = b;
        }
        __atomic_store_n(&p[END_AT], end, __ATOMIC_RELEASE);
        map_done(&m);
        return;
    }
    /* Outside the window (a long span): the writer's own slow path
       (finish() reads the time itself: the end a few ns later). */
    if (set_ab) {
        int64_t v[3] = {off, a, b};
        writer_call_ll(s_finish, v, 3);
    } else {
        int64_t v[2] = {off, end};
        writer_call_ll(s_put_end1, v, 2);
    }
}

/* A new record beginning at time ts, on this thread: its offset, or 0 if
   none was written. */
static int64_t begin_record_at(int64_t kind, int64_t ts, int64_t obj, int64_t site, int64_t a, int64_t b)
{
    int64_t off = claim_slot();
    if (off < 0)
        return 0;
    if (write_record(off, kind, ts, ident(), obj, site, 0, a, b) < 0)
        return 0;
    return off;
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
