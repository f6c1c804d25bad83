/*
 * _ctnative: the hot path of the Concurrency Trace runtime in C.
 * This header: includes, version shims and the module's state.  The module is
 * one translation unit (ctnative.c includes the parts in order).
 *
 * What the module holds (model: VizTracer's snaptrace.c, a small C core under
 * a Python tracer):
 *   - Lock / RLock (ct_locks.c): base types of the traced threading.Lock /
 *     RLock wrappers (concurrency_trace/locks.py subclasses them).  acquire,
 *     __enter__, release and __exit__ are C methods: no Python frame in
 *     tracebacks, no recursion-depth cost, and no bytecode between the real
 *     acquire and the return, so an asynchronous exception (Ctrl-C, a signal
 *     handler that raises) never lands while the lock is held but the acquire
 *     has not returned.
 *   - point / point_at / finish / finish_time / site_of / caller_site / now
 *     (ctnative.c): the writer's record entry points (writer.py), for other
 *     areas to adopt (queues, shared values, call sites).
 *   - Wrapper (ct_wrapper.c): a trampoline for patched callables.
 *
 * Records are packed straight into the writer's mmap (ct_writer.c); call
 * sites are cached by (code, instruction) (ct_sites.c); Python code that the
 * tracer calls may raise the program's exceptions (ct_errors.c).
 */
#ifndef CT_STATE_H
#define CT_STATE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#if !defined(Py_LIMITED_API)
#include <frameobject.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#if !defined(__x86_64__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "records are little-endian int64: built for x86-64 only"
#endif

/* Checked by concurrency_trace/native.py: a build of another API is not used. */
#define API_VERSION 1

#if PY_VERSION_HEX < 0x03090000
#define VECTORCALL _PyObject_Vectorcall
#define CALL_NOARGS(f) _PyObject_CallNoArg(f)
#else
#define VECTORCALL PyObject_Vectorcall
#define CALL_NOARGS(f) PyObject_CallNoArgs(f)
#endif

#if PY_VERSION_HEX >= 0x030C0000
#define MEMBER_OBJECT Py_T_OBJECT_EX
#define MEMBER_LONGLONG Py_T_LONGLONG
#else
#include <structmember.h>
#define MEMBER_OBJECT T_OBJECT_EX
#define MEMBER_LONGLONG T_LONGLONG
#endif

/* Replace *ref by new (a new reference), dropping the old one. */
#define CT_SET(ref, new)            \
    do {                            \
        PyObject *ct_old_ = (ref);  \
        (ref) = (new);              \
        Py_XDECREF(ct_old_);        \
    } while (0)

/* ------------------------------------------------------------------------ */
/* State (one interpreter: the tracer runs in the main one).                */

static PyObject *writer_dict;       /* concurrency_trace.writer.__dict__ */
static PyObject *site_lookup;       /* lock_records.native_site(frame) -> (sid, cacheable) */
static PyObject *runtime_prefix;    /* ".../src/runtime/": tracer code lives under it */
static PyObject *fresh_lock;        /* _thread.allocate_lock */
static PyObject *classify;          /* guard.raised_by_program(exc) -> the program's? */
static PyObject *method_type;       /* types.MethodType: a Wrapper binds like a function */
static PyObject *perturb_point;     /* perturb.point_in_wrapper when the schedule is perturbed, else NULL */
static PyObject *pending;           /* program exceptions waiting for the main thread */
static int pending_scheduled;
static unsigned long main_ident;
static int debug_mode;
static int enter_takes_args = 1;   /* the real __enter__ is acquire (before 3.15) */
static int exit_takes_any = 1;     /* the real __exit__ takes any arguments (before 3.15) */
static int configured;

/* The program's exception raised by tracer Python code during the current C
   operation of this thread: raised now if the operation has not yet done
   anything the program can see, else re-raised after it (ct_errors.c). */
static __thread PyObject *held_exc;

static int64_t K_LOCK_WAIT = 20, K_LOCK_HOLD = 21, K_LOCK_TRY_FAIL = 22;

static PyObject *s_enabled, *s_slots, *s_win, *s_put_record, *s_put_end1, *s_abandon, *s_finish,
    *s_acquire, *s_release,
    *s_is_owned, *s_self, *s_module, *s_builtins, *s_tb_frame, *s_tb_next, *s_f_code,
    *s_co_filename, *s_f_lasti, *s_f_back, *s_blocking, *s_timeout, *s_locked,
    *s_enter, *s_exit;


/* A real lock type and its methods (descriptors), called directly. */
typedef struct {
    PyTypeObject *type;
    PyObject *acquire, *release, *is_owned, *locked;
} RawType;
static RawType raw_lock, raw_rlock;

#endif
