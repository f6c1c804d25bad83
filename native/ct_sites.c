/*
 * Call sites: the site id of a frame's current instruction, cached by (code
 * object, instruction offset) in a fixed table (bounded memory whatever the
 * number of code objects: exec-generated code in a loop only evicts entries).
 * A miss asks lock_records.native_site(frame) -> (site id, cacheable); only a
 * frame of user code is cached under its own (code, instruction): a call from
 * the standard library is resolved to the user's frame outside it each time.
 * The table holds its codes, so an address is not reused while cached.
 * Site ids are per process file: reset() after fork clears the table.
 */

#define SITE_CACHE 4096
typedef struct {
    PyObject *code;   /* strong: the code stays alive, its address is not reused */
    int lasti;
    int64_t sid;
} SiteEntry;
static SiteEntry site_cache[SITE_CACHE];

static void site_cache_clear(void)
{
    for (int i = 0; i < SITE_CACHE; i++) {
        Py_CLEAR(site_cache[i].code);
        site_cache[i].sid = 0;
    }
}

static PyObject *frame_code(PyObject *f) /* new reference */
{
#if defined(Py_LIMITED_API)
    return (PyObject *)PyFrame_GetCode((PyFrameObject *)f);
#elif PY_VERSION_HEX < 0x03090000
    PyObject *c = (PyObject *)((PyFrameObject *)f)->f_code;
    Py_XINCREF(c);
    return c;
#else
    return (PyObject *)PyFrame_GetCode((PyFrameObject *)f);
#endif
}

static int frame_lasti(PyObject *f)
{
#if defined(Py_LIMITED_API)
    PyObject *v = PyObject_GetAttr(f, s_f_lasti);
    long x = v ? PyLong_AsLong(v) : -1;
    Py_XDECREF(v);
    PyErr_Clear();
    return (int)x;
#elif PY_VERSION_HEX < 0x030B0000
    return ((PyFrameObject *)f)->f_lasti;
#else
    return PyFrame_GetLasti((PyFrameObject *)f);
#endif
}

static PyObject *frame_back(PyObject *f) /* new reference or NULL */
{
#if defined(Py_LIMITED_API)
    PyObject *b = PyObject_GetAttr(f, s_f_back);
    if (b == NULL) {
        PyErr_Clear();
        return NULL;
    }
    if (b == Py_None) {
        Py_DECREF(b);
        return NULL;
    }
    return b;
#elif PY_VERSION_HEX < 0x03090000
    PyObject *b = (PyObject *)((PyFrameObject *)f)->f_back;
    Py_XINCREF(b);
    return b;
#else
    return (PyObject *)PyFrame_GetBack((PyFrameObject *)f);
#endif
}

/* Whether Python code may be called here without nearing the recursion
   limit (3.8 aborts past limit + 50 while handling a RecursionError). */
static int room_to_call(PyObject *f)
{
    int limit = Py_GetRecursionLimit();
    int depth = 0, margin = 60;
    Py_INCREF(f);
    while (f != NULL) {
        if (++depth + margin > limit) {
            Py_DECREF(f);
            return 0;
        }
        PyObject *b = frame_back(f);
        Py_DECREF(f);
        f = b;
    }
    return 1;
}

/* Ask Python: (site id, whether f is user code). -1 if it failed. */
static int64_t lookup_site(PyObject *f, int *user)
{
    *user = 0;
    if (!room_to_call(f))
        return -1;
    PyObject *r = call_tracer(site_lookup, &f, 1);
    if (r == NULL)
        return -1;
    int64_t sid = -1;
    if (PyTuple_Check(r) && PyTuple_Size(r) == 2) {
        long long s = PyLong_AsLongLong(PyTuple_GetItem(r, 0));
        if (s == -1 && PyErr_Occurred())
            PyErr_Clear();
        else {
            sid = s;
            *user = PyObject_IsTrue(PyTuple_GetItem(r, 1)) > 0;
        }
    }
    PyErr_Clear();
    Py_DECREF(r);
    return sid;
}

#define NOT_USER (-1)   /* cached for library code: the site is its caller's */

static int64_t site_of_frame(PyObject *f)
{
    if (f == NULL || site_lookup == NULL)
        return 0;
    Py_INCREF(f);
    int64_t sid = 0;
    for (int hops = 0; f != NULL && hops < 64; hops++) {
        PyObject *code = frame_code(f);
        if (code == NULL) {
            PyErr_Clear();
            break;
        }
        int lasti = frame_lasti(f);
        size_t h = (((size_t)code >> 4) ^ ((size_t)lasti * 0x9E3779B1u)) & (SITE_CACHE - 1);
        SiteEntry *e = &site_cache[h];
        if (e->code == code && e->lasti == lasti) {
            Py_DECREF(code);
            if (e->sid != NOT_USER) {
                sid = e->sid;
                break;
            }
            PyObject *back = frame_back(f);
            Py_DECREF(f);
            f = back;
            continue;
        }
        int user;
        int64_t found = lookup_site(f, &user);
        if (found >= 0) {
            sid = found;
            Py_INCREF(code);
            CT_SET(e->code, code);
            e->lasti = lasti;
            e->sid = user ? found : NOT_USER;
        }
        Py_DECREF(code);
        break;
    }
    Py_XDECREF(f);
    return sid;
}

static int64_t caller_site(void)
{
    PyObject *f = (PyObject *)PyEval_GetFrame(); /* borrowed */
    return f != NULL ? site_of_frame(f) : 0;
}

