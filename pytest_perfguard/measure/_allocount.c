/* Counts allocator calls and requested bytes of one thread, for exact allocs/op and B/op.
 *
 * Hooks the RAW, MEM and OBJ domains with PyMem_SetAllocator. Every hook delegates to the
 * allocator it replaced, so behaviour is unchanged; the hooks only add to two counters.
 *
 * What counts as one allocation: one call of malloc, calloc or realloc made directly by the
 * counting thread (realloc counts, like Go's growslice; its bytes are the full new size).
 * free is not hooked at all. A call the allocator makes while serving another hooked call
 * (pymalloc handing blocks over 512 B to the RAW domain) is not counted again.
 *
 * On Python 3.13+ it also counts objects created by the counting thread, with the reference
 * tracer (PyRefTracer_SetTracer): an object served from a free list (a list, dict, tuple or
 * float reused without an allocator call) is still a creation there.
 *
 * With record_sites(True), each counted call is also attributed to its site: the code object
 * and instruction offset of the counting thread's current Python frame, in a table kept in C
 * (malloc'd outside the hooked domains). Calls with no frame to read (none, or the RAW domain
 * called without the GIL) go to one bucket. On 3.13+ each object created by the counting
 * thread is attributed the same way, in a third counter. sites() hands the table over after
 * stop().
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <stdint.h>
#include <stdlib.h>
#if PY_VERSION_HEX < 0x030B0000
#include <frameobject.h>
#elif PY_VERSION_HEX < 0x030C0000
/* 3.11's public PyThreadState_GetFrame() may materialize a frame object for a frame that has
 * not run its first instruction yet; read the interpreter frames directly instead, as
 * tracemalloc does, skipping incomplete ones. */
#define Py_BUILD_CORE 1
#include <internal/pycore_frame.h>
#undef Py_BUILD_CORE
#endif

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif
#ifndef HAVE_CALLGRIND
#define HAVE_CALLGRIND 0
#endif

#if defined(_MSC_VER)
#define THREAD_LOCAL __declspec(thread)
#else
#define THREAD_LOCAL _Thread_local
#endif

/* 1 only in the counting thread, while counting, not paused and not inside a hooked call.
 * Thread-local so the check in every hook is one load with no lock and no Python API:
 * the RAW domain is called without the GIL. */
static THREAD_LOCAL int tl_active = 0;

/* Written only by the thread whose tl_active is 1, so plain integers suffice. */
static uint64_t n_allocs = 0;
static uint64_t n_bytes = 0;

/* Run state below is touched only with the GIL held (from the module's functions). */
static int installed = 0;
static int counting = 0;
static int pause_depth = 0;
static unsigned long owner = 0;
static PyMemAllocatorEx orig_raw, orig_mem, orig_obj;

static int sites_on = 0; /* set between windows only (record_sites) */

#if PY_VERSION_HEX >= 0x030D0000
#define HAVE_REFTRACER 1
static void record_object(void);
static uint64_t n_objects = 0;
static int tracing_objects = 0; /* our tracer was installed for this window */
static PyRefTracer prev_tracer = NULL; /* the tracer ours replaced, called on from ours */
static void *prev_data = NULL;

static int
object_tracer(PyObject *op, PyRefTracerEvent event, void *data)
{
    (void)data;
    if (event == PyRefTracer_CREATE && tl_active) {
        n_objects++;
        if (sites_on) {
            tl_active = 0; /* reading the frame may make a frame object: not counted */
            record_object();
            tl_active = 1;
        }
    }
    return prev_tracer != NULL ? prev_tracer(op, event, prev_data) : 0;
}

/* Installs ours in front of whatever tracer is set (3.13's tracemalloc leaves its own
 * installed after stop(), idle), calling it on, and puts it back at the end. */
static void
objects_start(void)
{
    void *data = NULL;
    PyRefTracer current = PyRefTracer_GetTracer(&data);
    if (current != object_tracer) { /* else ours is left from a window never stopped */
        prev_tracer = current;
        prev_data = data;
    }
    tracing_objects = PyRefTracer_SetTracer(object_tracer, NULL) == 0;
    n_objects = 0;
}

static void
objects_stop(void)
{
    void *data = NULL;
    if (tracing_objects && PyRefTracer_GetTracer(&data) == object_tracer) {
        PyRefTracer_SetTracer(prev_tracer, prev_data);
    }
    else {
        tracing_objects = 0; /* replaced while counting: the count is not ours alone */
    }
}
#endif

/* ---- allocation sites --------------------------------------------------------------- */

typedef struct {
    PyObject *code; /* strong reference; NULL: an empty slot */
    int lasti;      /* byte offset of the instruction running, -1 before the first */
    uint64_t allocs;
    uint64_t bytes;
    uint64_t objects; /* objects created there (3.13+, the reference tracer) */
} site_t;

static site_t *site_table = NULL;
static size_t site_cap = 0; /* a power of two, or 0 */
static size_t site_len = 0;
static uint64_t noframe_allocs = 0, noframe_bytes = 0, noframe_objects = 0;

static void
sites_clear(void)
{
    for (size_t i = 0; i < site_cap; i++) {
        Py_XDECREF(site_table[i].code);
    }
    free(site_table);
    site_table = NULL;
    site_cap = site_len = 0;
    noframe_allocs = noframe_bytes = noframe_objects = 0;
}

static size_t
site_slot(site_t *table, size_t cap, PyObject *code, int lasti)
{
    size_t h = ((size_t)code >> 4) * 31u + (size_t)(unsigned)lasti * 2654435761u;
    size_t i = h & (cap - 1);
    while (table[i].code != NULL && (table[i].code != code || table[i].lasti != lasti)) {
        i = (i + 1) & (cap - 1);
    }
    return i;
}

static int
sites_grow(void)
{
    size_t cap = site_cap ? site_cap * 2 : 256;
    site_t *table = calloc(cap, sizeof(site_t));
    if (table == NULL) {
        return -1;
    }
    for (size_t i = 0; i < site_cap; i++) {
        if (site_table[i].code != NULL) {
            site_t *slot = &table[site_slot(table, cap, site_table[i].code, site_table[i].lasti)];
            *slot = site_table[i];
        }
    }
    free(site_table);
    site_table = table;
    site_cap = cap;
    return 0;
}

/* The counting thread's current code object and instruction offset (borrowed code), or 0. */
static int
current_site(PyObject **code, int *lasti)
{
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
    _PyInterpreterFrame *frame = PyThreadState_Get()->cframe->current_frame;
    while (frame != NULL && _PyFrame_IsIncomplete(frame)) {
        frame = frame->previous;
    }
    if (frame == NULL) {
        return 0;
    }
    *code = (PyObject *)frame->f_code;
    *lasti = _PyInterpreterFrame_LASTI(frame) * (int)sizeof(_Py_CODEUNIT);
    return 1;
#else
    PyFrameObject *frame = PyThreadState_GetFrame(PyThreadState_Get());
    if (frame == NULL) {
        return 0;
    }
    PyCodeObject *co = PyFrame_GetCode(frame);
#if PY_VERSION_HEX >= 0x030B0000
    *lasti = PyFrame_GetLasti(frame);
#else
    *lasti = frame->f_lasti < 0 ? -1 : frame->f_lasti * 2;
#endif
    Py_DECREF(co); /* the frame keeps it alive */
    Py_DECREF(frame);
    *code = (PyObject *)co;
    return 1;
#endif
}

/* The table's entry for the current site, made if new; NULL: no frame to read (or no memory
 * for the table), the caller counts it in the no-frame bucket. */
static site_t *
current_slot(int may_lack_gil)
{
    PyObject *code = NULL;
    int lasti = -1;
    if ((may_lack_gil && !PyGILState_Check()) || !current_site(&code, &lasti)) {
        return NULL;
    }
    if ((site_len + 1) * 2 > site_cap && sites_grow() < 0) {
        return NULL; /* out of memory for the table: counted, not attributed */
    }
    site_t *slot = &site_table[site_slot(site_table, site_cap, code, lasti)];
    if (slot->code == NULL) {
        Py_INCREF(code);
        slot->code = code;
        slot->lasti = lasti;
        site_len++;
    }
    return slot;
}

/* Called from a hook with tl_active already 0: anything allocated here is not counted. */
static void
record_site(uint64_t size, int may_lack_gil)
{
    site_t *slot = current_slot(may_lack_gil);
    if (slot == NULL) {
        noframe_allocs++;
        noframe_bytes += size;
        return;
    }
    slot->allocs++;
    slot->bytes += size;
}

#ifdef HAVE_REFTRACER
/* Called from the reference tracer (the GIL held) with tl_active 0: one object created. */
static void
record_object(void)
{
    site_t *slot = current_slot(0);
    if (slot == NULL) {
        noframe_objects++;
        return;
    }
    slot->objects++;
}
#endif

/* One set of hooks per domain, each reading its own saved allocator. The hooks ignore
 * their ctx argument and are installed with the ORIGINAL ctx: a thread calling the RAW
 * domain without the GIL during the swap may pair an old function with a new ctx or the
 * reverse, and either pair still works. */
#define DEFINE_HOOKS(NAME, ORIG, NOGIL)                                                         \
    static void *NAME##_malloc(void *ctx, size_t size)                                     \
    {                                                                                      \
        (void)ctx;                                                                         \
        if (!tl_active) {                                                                  \
            return ORIG.malloc(ORIG.ctx, size);                                            \
        }                                                                                  \
        n_allocs++;                                                                        \
        n_bytes += size;                                                                   \
        tl_active = 0; /* the delegate's own allocator calls are part of this one */       \
        if (sites_on) {                                                                    \
            record_site(size, NOGIL);                                                      \
        }                                                                                  \
        void *ptr = ORIG.malloc(ORIG.ctx, size);                                           \
        tl_active = 1;                                                                     \
        return ptr;                                                                        \
    }                                                                                      \
    static void *NAME##_calloc(void *ctx, size_t nelem, size_t elsize)                     \
    {                                                                                      \
        (void)ctx;                                                                         \
        if (!tl_active) {                                                                  \
            return ORIG.calloc(ORIG.ctx, nelem, elsize);                                   \
        }                                                                                  \
        n_allocs++;                                                                        \
        n_bytes += (uint64_t)nelem * (uint64_t)elsize;                                     \
        tl_active = 0;                                                                     \
        if (sites_on) {                                                                    \
            record_site((uint64_t)nelem * (uint64_t)elsize, NOGIL);                        \
        }                                                                                  \
        void *ptr = ORIG.calloc(ORIG.ctx, nelem, elsize);                                  \
        tl_active = 1;                                                                     \
        return ptr;                                                                        \
    }                                                                                      \
    static void *NAME##_realloc(void *ctx, void *p, size_t size)                           \
    {                                                                                      \
        (void)ctx;                                                                         \
        if (!tl_active) {                                                                  \
            return ORIG.realloc(ORIG.ctx, p, size);                                        \
        }                                                                                  \
        n_allocs++;                                                                        \
        n_bytes += size;                                                                   \
        tl_active = 0;                                                                     \
        if (sites_on) {                                                                    \
            record_site(size, NOGIL);                                                      \
        }                                                                                  \
        void *ptr = ORIG.realloc(ORIG.ctx, p, size);                                       \
        tl_active = 1;                                                                     \
        return ptr;                                                                        \
    }

DEFINE_HOOKS(raw, orig_raw, 1) /* RAW may be called without the GIL */
DEFINE_HOOKS(mem, orig_mem, 0)
DEFINE_HOOKS(obj, orig_obj, 0)

static void
hook_domain(PyMemAllocatorDomain domain, PyMemAllocatorEx *orig, void *(*m)(void *, size_t),
            void *(*c)(void *, size_t, size_t), void *(*r)(void *, void *, size_t))
{
    PyMemAllocatorEx hook;
    PyMem_GetAllocator(domain, orig);
    hook.ctx = orig->ctx;
    hook.malloc = m;
    hook.calloc = c;
    hook.realloc = r;
    hook.free = orig->free; /* frees are not counted: delegate without a wrapper */
    PyMem_SetAllocator(domain, &hook);
}

static int
ours_on_top(PyMemAllocatorDomain domain, void *(*m)(void *, size_t))
{
    PyMemAllocatorEx cur;
    PyMem_GetAllocator(domain, &cur);
    return cur.malloc == m;
}

static int
check_owner(void)
{
    if (!counting) {
        PyErr_SetString(PyExc_RuntimeError, "allocation counting is not running");
        return -1;
    }
    if (PyThread_get_thread_ident() != owner) {
        PyErr_SetString(PyExc_RuntimeError,
                        "allocation counting belongs to another thread");
        return -1;
    }
    return 0;
}

static PyObject *
allocount_start(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (counting) {
        PyErr_SetString(PyExc_RuntimeError, "allocation counting is already running");
        return NULL;
    }
    /* A previous stop() may have had to leave the hooks in place (someone stacked on top);
     * they are still in the chain and still delegate to the saved originals, so reuse them
     * rather than save our own hooks as "original" and recurse forever. */
    if (!installed) {
        hook_domain(PYMEM_DOMAIN_RAW, &orig_raw, raw_malloc, raw_calloc, raw_realloc);
        hook_domain(PYMEM_DOMAIN_MEM, &orig_mem, mem_malloc, mem_calloc, mem_realloc);
        hook_domain(PYMEM_DOMAIN_OBJ, &orig_obj, obj_malloc, obj_calloc, obj_realloc);
        installed = 1;
    }
    counting = 1;
    pause_depth = 0;
    owner = PyThread_get_thread_ident();
    n_allocs = 0;
    n_bytes = 0;
    sites_clear();
#ifdef HAVE_REFTRACER
    objects_start();
#endif
    tl_active = 1; /* last: nothing below allocates */
    Py_RETURN_NONE;
}

static PyObject *
allocount_stop(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (check_owner() < 0) {
        return NULL;
    }
    tl_active = 0; /* first: building the result must not count */
    counting = 0;
#ifdef HAVE_REFTRACER
    objects_stop();
#endif
    uint64_t allocs = n_allocs, bytes = n_bytes;
    if (ours_on_top(PYMEM_DOMAIN_RAW, raw_malloc) && ours_on_top(PYMEM_DOMAIN_MEM, mem_malloc)
        && ours_on_top(PYMEM_DOMAIN_OBJ, obj_malloc)) {
        PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &orig_raw);
        PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &orig_mem);
        PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &orig_obj);
        installed = 0;
    }
    else {
        /* Another hook (tracemalloc) was stacked on ours: removing ours would unhook it
         * too. Ours stay as pure pass-throughs; the counts include the other hook's own
         * allocations, so refuse them. */
        PyErr_SetString(PyExc_RuntimeError,
                        "allocator hooks were replaced while counting (tracemalloc "
                        "started?); counts discarded");
        return NULL;
    }
    return Py_BuildValue("(KK)", (unsigned long long)allocs, (unsigned long long)bytes);
}

static PyObject *
allocount_pause(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (check_owner() < 0) {
        return NULL;
    }
    pause_depth++;
    tl_active = 0;
    Py_RETURN_NONE;
}

static PyObject *
allocount_resume(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (check_owner() < 0) {
        return NULL;
    }
    if (pause_depth == 0) {
        PyErr_SetString(PyExc_RuntimeError, "resume() without pause()");
        return NULL;
    }
    if (--pause_depth == 0) {
        tl_active = 1;
    }
    Py_RETURN_NONE;
}

static PyObject *
allocount_counts(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    int was_active = tl_active;
    tl_active = 0; /* reading must not count its own result tuple */
    PyObject *res =
        Py_BuildValue("(KK)", (unsigned long long)n_allocs, (unsigned long long)n_bytes);
    tl_active = was_active;
    return res;
}

static PyObject *
allocount_objects(PyObject *module, PyObject *Py_UNUSED(ignored))
{
#ifdef HAVE_REFTRACER
    if (tracing_objects) {
        int was_active = tl_active;
        tl_active = 0;
        PyObject *res = PyLong_FromUnsignedLongLong((unsigned long long)n_objects);
        tl_active = was_active;
        return res;
    }
#endif
    Py_RETURN_NONE;
}

static PyObject *
allocount_record_sites(PyObject *module, PyObject *arg)
{
    int on = PyObject_IsTrue(arg);
    if (on < 0) {
        return NULL;
    }
    if (counting) {
        PyErr_SetString(PyExc_RuntimeError, "record_sites() while counting");
        return NULL;
    }
    sites_on = on;
    if (!on) {
        sites_clear();
    }
    Py_RETURN_NONE;
}

/* (code, lasti, allocs, bytes, objects), objects None where they were not counted. */
static PyObject *
site_row(PyObject *code, int lasti, uint64_t allocs, uint64_t bytes, uint64_t n_obj, int counted)
{
    if (!counted) {
        return Py_BuildValue("(OiKKO)", code, lasti, (unsigned long long)allocs,
                             (unsigned long long)bytes, Py_None);
    }
    return Py_BuildValue("(OiKKK)", code, lasti, (unsigned long long)allocs,
                         (unsigned long long)bytes, (unsigned long long)n_obj);
}

static PyObject *
allocount_sites(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (counting) {
        PyErr_SetString(PyExc_RuntimeError, "sites() while counting: call stop() first");
        return NULL;
    }
    int objects = 0; /* the window's objects were counted (3.13+, our tracer stayed on) */
#ifdef HAVE_REFTRACER
    objects = tracing_objects;
#endif
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < site_cap; i++) {
        site_t *s = &site_table[i];
        if (s->code == NULL) {
            continue;
        }
        PyObject *row = site_row(s->code, s->lasti, s->allocs, s->bytes, s->objects, objects);
        if (row == NULL || PyList_Append(out, row) < 0) {
            Py_XDECREF(row);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(row);
    }
    if (noframe_allocs || (objects && noframe_objects)) {
        PyObject *row =
            site_row(Py_None, -1, noframe_allocs, noframe_bytes, noframe_objects, objects);
        if (row == NULL || PyList_Append(out, row) < 0) {
            Py_XDECREF(row);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(row);
    }
    sites_clear();
    return out;
}

static PyObject *
allocount_is_counting(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(counting);
}

/* ---- callgrind collection windows ------------------------------------------------------ */

/* Run state, touched only with the GIL held. `cg_window`: a window is open; `cg_pauses`:
 * nesting depth of pauses inside it (collection is on exactly when open and not paused). */
static int cg_window = 0;
static int cg_pauses = 0;

static int
cg_running(void)
{
#if HAVE_CALLGRIND
    return (int)RUNNING_ON_VALGRIND;
#else
    return 0;
#endif
}

static void
cg_toggle(void)
{
#if HAVE_CALLGRIND
    CALLGRIND_TOGGLE_COLLECT;
#endif
}

static PyObject *
callgrind_state(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (!HAVE_CALLGRIND) {
        return PyUnicode_FromString("not built");
    }
    if (cg_running() == 0) {
        return PyUnicode_FromString("not under valgrind");
    }
    return PyUnicode_FromString("ready");
}

static int
cg_open(void)
{
    if (cg_window) {
        PyErr_SetString(PyExc_RuntimeError, "a callgrind window is already open");
        return -1;
    }
    cg_window = 1;
    cg_pauses = 0;
#if HAVE_CALLGRIND
    CALLGRIND_ZERO_STATS;
#endif
    cg_toggle(); /* last: collection on from here */
    return 0;
}

static int
cg_close(const char *label)
{
    if (!cg_window) {
        PyErr_SetString(PyExc_RuntimeError, "no callgrind window is open");
        return -1;
    }
    if (cg_pauses == 0) {
        cg_toggle(); /* first: collection off from here */
    }
    cg_window = 0;
    cg_pauses = 0;
#if HAVE_CALLGRIND
    CALLGRIND_DUMP_STATS_AT(label);
#else
    (void)label;
#endif
    return 0;
}

static PyObject *
callgrind_start(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (cg_open() < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
callgrind_stop(PyObject *module, PyObject *arg)
{
    /* The label is converted before the window closes, so the conversion is counted in every
     * window alike (a fixed cost that the difference of two windows cancels). */
    const char *label = PyUnicode_AsUTF8(arg);
    if (label == NULL) {
        if (cg_window && cg_pauses == 0) {
            cg_toggle();
        }
        cg_window = 0;
        return NULL;
    }
    if (cg_close(label) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
callgrind_pause(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (cg_window && cg_pauses++ == 0) {
        cg_toggle();
    }
    Py_RETURN_NONE;
}

static PyObject *
callgrind_resume(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (cg_window && cg_pauses > 0 && --cg_pauses == 0) {
        cg_toggle();
    }
    Py_RETURN_NONE;
}

static PyObject *
callgrind_instrument(PyObject *module, PyObject *arg)
{
    /* Under --instr-atstart=no the worker runs at the speed of valgrind's "none" tool (about
     * 10x faster than instrumented) until this turns instrumentation on, around the windows
     * only. Each switch flushes valgrind's translations: guest instructions stay the same. */
    int on = PyObject_IsTrue(arg);
    if (on < 0) {
        return NULL;
    }
#if HAVE_CALLGRIND
    if (on) {
        CALLGRIND_START_INSTRUMENTATION;
    }
    else {
        CALLGRIND_STOP_INSTRUMENTATION;
    }
#endif
    Py_RETURN_NONE;
}

static PyObject *
callgrind_run(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "run(fn, n, label) takes 3 arguments");
        return NULL;
    }
    PyObject *fn = args[0];
    Py_ssize_t n = PyLong_AsSsize_t(args[1]);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "n must be >= 0");
        return NULL;
    }
    const char *label = PyUnicode_AsUTF8(args[2]);
    if (label == NULL) {
        return NULL;
    }
    if (cg_open() < 0) {
        return NULL;
    }
    /* The bare C loop: per call, one vectorcall and one decref are counted with fn. */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *res = PyObject_CallNoArgs(fn);
        if (res == NULL) {
            cg_close(label);
            return NULL;
        }
        Py_DECREF(res);
    }
    if (cg_close(label) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef allocount_methods[] = {
    {"callgrind_state", callgrind_state, METH_NOARGS,
     "callgrind_state()\n--\n\n\"ready\" under valgrind with the header built in, else "
     "\"not under valgrind\" or \"not built\" (then the functions below do nothing)."},
    {"callgrind_start", callgrind_start, METH_NOARGS,
     "callgrind_start()\n--\n\nZero callgrind's counters and turn collection on."},
    {"callgrind_stop", callgrind_stop, METH_O,
     "callgrind_stop(label)\n--\n\nTurn collection off and dump the window under label."},
    {"callgrind_pause", callgrind_pause, METH_NOARGS,
     "callgrind_pause()\n--\n\nCollection off inside a window until the matching resume()."},
    {"callgrind_resume", callgrind_resume, METH_NOARGS,
     "callgrind_resume()\n--\n\nEnd the innermost callgrind_pause()."},
    {"callgrind_instrument", callgrind_instrument, METH_O,
     "callgrind_instrument(on)\n--\n\nTurn callgrind's instrumentation on or off (windows "
     "count only while it is on)."},
    {"callgrind_run", (PyCFunction)(void (*)(void))callgrind_run, METH_FASTCALL,
     "callgrind_run(fn, n, label)\n--\n\nOne window around n calls of fn() in a C loop, "
     "dumped under label."},
    {"start", allocount_start, METH_NOARGS,
     "start()\n--\n\nInstall the hooks, zero the counters and count this thread's "
     "allocations.\nRuntimeError if counting is already running."},
    {"stop", allocount_stop, METH_NOARGS,
     "stop()\n--\n\nStop counting, remove the hooks and return (allocs, bytes).\n"
     "RuntimeError if another hook was stacked on top while counting."},
    {"pause", allocount_pause, METH_NOARGS,
     "pause()\n--\n\nExclude allocations until the matching resume(); pauses nest."},
    {"resume", allocount_resume, METH_NOARGS,
     "resume()\n--\n\nEnd the innermost pause()."},
    {"counts", allocount_counts, METH_NOARGS,
     "counts()\n--\n\nCurrent (allocs, bytes) totals; the last totals after stop()."},
    {"objects", allocount_objects, METH_NOARGS,
     "objects()\n--\n\nObjects created by the counting thread in the current or last window "
     "(Python 3.13+, free-list reuse included), or None where they are not counted."},
    {"record_sites", allocount_record_sites, METH_O,
     "record_sites(on)\n--\n\nAttribute the counted calls of the next windows to their Python "
     "sites (or not)."},
    {"sites", allocount_sites, METH_NOARGS,
     "sites()\n--\n\nThe last window's sites as (code, lasti, allocs, bytes, objects), lasti a "
     "byte offset (-1: before the first instruction), objects created there (Python 3.13+) or "
     "None where they are not counted; (None, -1, ...) for calls with no Python frame. "
     "Empties the table."},
    {"is_counting", allocount_is_counting, METH_NOARGS,
     "is_counting()\n--\n\nTrue between start() and stop()."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef allocount_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_perfguard_allocount",
    .m_doc = "Counts allocator calls and requested bytes of one thread (RAW, MEM, OBJ).",
    .m_size = -1, /* the allocator is process-wide state: one instance only */
    .m_methods = allocount_methods,
};

PyMODINIT_FUNC
PyInit__perfguard_allocount(void)
{
    return PyModule_Create(&allocount_module);
}
