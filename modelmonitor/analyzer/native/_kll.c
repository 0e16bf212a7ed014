/* modelmonitor.analyzer.native._kll: the Python face of the KLL sketch in _kll_core.c (stats/kll.py wraps it for the analyzer).
 *
 * Threads: update() and merge() do their work with the GIL released. Every sketch has its own lock, so one sketch
 * used from two threads at once stays consistent (the calls serialise). The lock is only ever held either without
 * the GIL (while working) or, with the GIL, for a copy that calls no Python code: no deadlock either way. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <math.h>
#include <string.h>

#include "_kll_core.h"

#define DEFAULT_SEED 0x6B6C6C2D73656564ULL  /* "kll-seed": fixed, so that runs are reproducible */

typedef struct {
    PyObject_HEAD
    kll_t sk;
    PyThread_type_lock lock;
} KllObject;

static PyTypeObject KllType;

static void lock_sketch(KllObject *self) {  /* with the GIL held: wait without it */
    if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(self->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
}

static PyObject *core_error(int rc) {
    if (rc == -1) return PyErr_NoMemory();
    if (rc == KLL_COUNT_OVERFLOW) {
        PyErr_SetString(PyExc_OverflowError, "KLL sketch: the count would exceed 2**64 - 1");
        return NULL;
    }
    PyErr_SetString(PyExc_SystemError, "KLL sketch: internal consistency check failed");
    return NULL;
}

/* A consistent copy of a sketch, taken under its lock (the caller frees it with kll_free). */
static int snapshot(KllObject *self, kll_t *copy) {
    lock_sketch(self);
    const int rc = kll_copy(copy, &self->sk);
    PyThread_release_lock(self->lock);
    if (rc < 0) PyErr_NoMemory();
    return rc;
}

static int parse_k_seed(Py_ssize_t k, double c, PyObject *seed_obj, uint64_t *seed) {
    if (k < KLL_MIN_K || k > KLL_MAX_K) {
        PyErr_Format(PyExc_ValueError, "k must be between %d and %d, got %zd", KLL_MIN_K, KLL_MAX_K, k);
        return -1;
    }
    if (!(c > 0.5 && c < 1.0)) {  /* also refuses NaN */
        PyObject *value = PyFloat_FromDouble(c);
        if (value != NULL) {
            PyErr_Format(PyExc_ValueError, "c must be in (0.5, 1), got %R", value);
            Py_DECREF(value);
        }
        return -1;
    }
    *seed = DEFAULT_SEED;
    if (seed_obj == NULL) return 0;
    if (PyLong_Check(seed_obj)) {
        *seed = PyLong_AsUnsignedLongLong(seed_obj);
        if (!PyErr_Occurred()) return 0;
        PyErr_Clear();
    }
    PyErr_Format(PyExc_ValueError, "seed must be an int in [0, 2**64), got %R", seed_obj);
    return -1;
}

static KllObject *new_sketch(PyTypeObject *type, Py_ssize_t k, double c, uint64_t seed) {
    KllObject *self = (KllObject *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->lock = PyThread_allocate_lock();
    if (self->lock == NULL || kll_init(&self->sk, (uint32_t)k, c, seed) < 0) {
        Py_DECREF(self);
        PyErr_NoMemory();
        return NULL;
    }
    return self;
}

static PyObject *Kll_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"k", "seed", "c", NULL};
    Py_ssize_t k = 200;
    double c = KLL_DATASKETCHES_C;
    PyObject *seed_obj = NULL;
    uint64_t seed;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|nOd:KllSketch", kwlist, &k, &seed_obj, &c)) return NULL;
    if (parse_k_seed(k, c, seed_obj, &seed) < 0) return NULL;
    return (PyObject *)new_sketch(type, k, c, seed);
}

static void Kll_dealloc(KllObject *self) {
    if (self->lock) PyThread_free_lock(self->lock);
    kll_free(&self->sk);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int is_float64(const Py_buffer *view) {
    const char *f = view->format;
    if (view->itemsize != 8 || f == NULL) return 0;
#if !PY_BIG_ENDIAN
    if (f[0] == '<') return strcmp(f + 1, "d") == 0;
#endif
    if (f[0] == '@' || f[0] == '=') f++;
    return strcmp(f, "d") == 0;
}

static PyObject *Kll_update(KllObject *self, PyObject *obj) {
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (!is_float64(&view)) {
        PyErr_Format(PyExc_TypeError, "update() needs a C-contiguous float64 buffer, got format %s",
                     view.format ? view.format : "?");
        PyBuffer_Release(&view);
        return NULL;
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    rc = kll_update(&self->sk, (const double *)view.buf, (size_t)(view.len / 8));
    PyThread_release_lock(self->lock);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (rc < 0) return core_error(rc);
    Py_RETURN_NONE;
}

static PyObject *Kll_merge(KllObject *self, PyObject *arg) {
    if (!PyObject_TypeCheck(arg, &KllType)) {
        PyErr_Format(PyExc_TypeError, "merge() needs a KllSketch, got %s", Py_TYPE(arg)->tp_name);
        return NULL;
    }
    kll_t other, work;
    if (snapshot((KllObject *)arg, &other) < 0) return NULL;  /* also makes s.merge(s) safe */
    if (other.k != self->sk.k || other.c != self->sk.c) {
        PyObject *theirs = PyFloat_FromDouble(other.c), *ours = PyFloat_FromDouble(self->sk.c);
        if (theirs != NULL && ours != NULL)
            PyErr_Format(PyExc_ValueError, "cannot merge a k=%u, c=%R sketch into a k=%u, c=%R sketch", other.k,
                         theirs, self->sk.k, ours);
        Py_XDECREF(theirs);
        Py_XDECREF(ours);
        kll_free(&other);
        return NULL;
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    rc = kll_copy(&work, &self->sk);  /* merge into a copy: a failure leaves the sketch as it was */
    if (rc == 0 && (rc = kll_merge(&work, &other)) == 0) {
        kll_free(&self->sk);
        self->sk = work;
    } else if (work.items != NULL) {  /* the merge failed part-way: drop the copy */
        kll_free(&work);
    }
    PyThread_release_lock(self->lock);
    kll_free(&other);
    Py_END_ALLOW_THREADS
    if (rc < 0) return core_error(rc);
    Py_RETURN_NONE;
}

/* A copy of the sketch with level 0 sorted, taken under its lock: one consistent state to read from. */
static int sorted_snapshot(KllObject *self, kll_t *copy) {
    lock_sketch(self);
    kll_sort_level_zero(&self->sk);
    const int rc = kll_copy(copy, &self->sk);
    PyThread_release_lock(self->lock);
    if (rc < 0) PyErr_NoMemory();
    return rc;
}

static PyObject *levels_list(const kll_t *c) {
    PyObject *out = PyList_New(c->num_levels);
    for (uint32_t h = 0; out != NULL && h < c->num_levels; h++) {
        PyObject *level = PyList_New(c->levels[h + 1] - c->levels[h]);
        for (uint32_t i = c->levels[h]; level != NULL && i < c->levels[h + 1]; i++) {
            PyObject *item = PyFloat_FromDouble(c->items[i]);
            if (item == NULL) Py_CLEAR(level);
            else PyList_SET_ITEM(level, i - c->levels[h], item);
        }
        if (level == NULL) Py_CLEAR(out);
        else PyList_SET_ITEM(out, h, level);
    }
    return out;
}

static PyObject *Kll_levels(KllObject *self, PyObject *Py_UNUSED(ignored)) {
    kll_t c;
    if (sorted_snapshot(self, &c) < 0) return NULL;
    PyObject *out = levels_list(&c);
    kll_free(&c);
    return out;
}

/* (items, cumulative weights) as two bytearrays of float64 and uint64 values: DataSketches' sorted view, built in
 * C from one snapshot (building it from levels() in Python cost ~2 ms a sketch at k = 2048). */
static PyObject *Kll_sorted_view(KllObject *self, PyObject *Py_UNUSED(ignored)) {
    kll_t c;
    if (sorted_snapshot(self, &c) < 0) return NULL;
    const Py_ssize_t retained = (Py_ssize_t)(c.levels[c.num_levels] - c.levels[0]);
    PyObject *items = PyByteArray_FromStringAndSize(NULL, retained * (Py_ssize_t)sizeof(double));
    PyObject *cumulative = PyByteArray_FromStringAndSize(NULL, retained * (Py_ssize_t)sizeof(uint64_t));
    PyObject *result = NULL;
    if (items != NULL && cumulative != NULL) {
        if (kll_sorted_view(&c, (double *)PyByteArray_AS_STRING(items),
                            (uint64_t *)PyByteArray_AS_STRING(cumulative)) < 0)
            PyErr_NoMemory();
        else
            result = PyTuple_Pack(2, items, cumulative);
    }
    Py_XDECREF(items);
    Py_XDECREF(cumulative);
    kll_free(&c);
    return result;
}

static PyObject *bound_or_none(const kll_t *c, double value) {
    return c->n ? PyFloat_FromDouble(value) : Py_NewRef(Py_None);
}

/* k, c, n, min, max and levels read from one snapshot: a concurrent update cannot slip between them. */
static PyObject *Kll_state(KllObject *self, PyObject *Py_UNUSED(ignored)) {
    kll_t c;
    if (sorted_snapshot(self, &c) < 0) return NULL;
    PyObject *state = Py_BuildValue("{s:k,s:d,s:K,s:N,s:N,s:N}", "k", (unsigned long)c.k, "c", c.c,
                                    "n", (unsigned long long)c.n, "min", bound_or_none(&c, c.min),
                                    "max", bound_or_none(&c, c.max), "levels", levels_list(&c));
    kll_free(&c);
    return state;
}

/* Reads and checks levels for from_levels; fills sizes[] and items (level by level). */
static int read_levels(PyObject *levels, uint64_t n, uint32_t k, uint32_t *num_levels, uint32_t *sizes,
                       double **items_out, const kll_t *shape) {
    if (!PyList_Check(levels) && !PyTuple_Check(levels)) {
        PyErr_Format(PyExc_TypeError, "levels must be a list of lists of floats, got %s", Py_TYPE(levels)->tp_name);
        return -1;
    }
    /* Tuples: an item's __float__ may run Python code that changes the lists being read; copies cannot change. */
    PyObject *outer = PySequence_Tuple(levels);
    if (outer == NULL) return -1;
    const Py_ssize_t count = PySequence_Fast_GET_SIZE(outer);
    const uint32_t ub_n = kll_ub_on_num_levels(n), max_levels = ub_n < KLL_MAX_DEPTH + 1 ? ub_n : KLL_MAX_DEPTH + 1;
    if (count < 1 || count > (Py_ssize_t)max_levels) {
        PyErr_Format(PyExc_ValueError, "levels: a sketch of n=%llu has 1 to %u levels, got %zd",
                     (unsigned long long)n, max_levels, count);
        Py_DECREF(outer);
        return -1;
    }
    *num_levels = (uint32_t)count;
    const uint32_t capacity = kll_total_capacity(shape, *num_levels);
    double *items = PyMem_Malloc(capacity * sizeof(double) + 1);
    uint64_t total = 0;
    uint32_t retained = 0;
    int ok = items != NULL;
    if (!ok) PyErr_NoMemory();
    for (Py_ssize_t h = 0; ok && h < count; h++) {
        PyObject *given = PySequence_Fast_GET_ITEM(outer, h);
        if (!PyList_Check(given) && !PyTuple_Check(given)) {
            PyErr_Format(PyExc_TypeError, "levels[%zd] must be a list of floats, got %s", h, Py_TYPE(given)->tp_name);
            ok = 0;
            break;
        }
        PyObject *level = PySequence_Tuple(given);
        if (level == NULL) { ok = 0; break; }
        const Py_ssize_t size = PySequence_Fast_GET_SIZE(level);
        if (size > (Py_ssize_t)(capacity - retained)) {
            PyErr_Format(PyExc_ValueError, "levels: more items than the %u a k=%u sketch of %zd levels holds",
                         capacity, k, count);
            ok = 0;
        }
        for (Py_ssize_t i = 0; ok && i < size; i++) {
            const double v = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(level, i));
            if (v == -1.0 && PyErr_Occurred()) { ok = 0; break; }
            if (isnan(v)) {
                PyErr_Format(PyExc_ValueError, "levels[%zd][%zd] is NaN", h, i);
                ok = 0;
            } else if (h > 0 && i > 0 && v < items[retained + i - 1]) {
                PyErr_Format(PyExc_ValueError, "levels[%zd] is not sorted: item %zd (%R) is below item %zd",
                             h, i, PySequence_Fast_GET_ITEM(level, i), i - 1);
                ok = 0;
            }
            items[retained + i] = v;
        }
        Py_DECREF(level);
        if (!ok) break;
        sizes[h] = (uint32_t)size;
        retained += (uint32_t)size;
        if (size && (uint64_t)size > (UINT64_MAX - total) >> h) total = UINT64_MAX;  /* saturate */
        else total += (uint64_t)size << h;
    }
    Py_DECREF(outer);
    if (ok && total != n) {
        PyErr_Format(PyExc_ValueError, "levels: the weights (level h counts 2**h) sum to %llu, not n=%llu",
                     (unsigned long long)total, (unsigned long long)n);
        ok = 0;
    }
    if (!ok) { PyMem_Free(items); return -1; }
    *items_out = items;
    return 0;
}

static int read_bound(PyObject *obj, const char *name, double *out) {
    if (obj == Py_None) { *out = NAN; return 0; }
    *out = PyFloat_AsDouble(obj);
    if (*out == -1.0 && PyErr_Occurred()) {
        PyErr_Format(PyExc_TypeError, "%s must be a float or None", name);
        return -1;
    }
    return 0;
}

static PyObject *Kll_from_levels(PyTypeObject *cls, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"levels", "n", "min", "max", "k", "seed", "c", NULL};
    PyObject *levels, *n_obj, *min_obj, *max_obj, *seed_obj = NULL;
    Py_ssize_t k = 200;
    double c = KLL_DATASKETCHES_C;
    uint64_t seed;
    double lo, hi;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!OO|$nOd:from_levels", kwlist, &levels, &PyLong_Type, &n_obj,
                                     &min_obj, &max_obj, &k, &seed_obj, &c)) return NULL;
    const uint64_t n = PyLong_AsUnsignedLongLong(n_obj);
    if (PyErr_Occurred()) {
        PyErr_Format(PyExc_ValueError, "n must be an int in [0, 2**64), got %R", n_obj);
        return NULL;
    }
    if (parse_k_seed(k, c, seed_obj, &seed) < 0 || read_bound(min_obj, "min", &lo) < 0
        || read_bound(max_obj, "max", &hi) < 0) return NULL;
    if (n == 0 ? !(isnan(lo) && isnan(hi)) : !(lo <= hi)) {
        PyErr_Format(PyExc_ValueError, n == 0 ? "an empty sketch has min and max None, got %R and %R"
                                              : "min and max must be numbers with min <= max, got %R and %R",
                     min_obj, max_obj);
        return NULL;
    }
    KllObject *self = new_sketch(cls, k, c, seed);
    if (self == NULL) return NULL;
    uint32_t num_levels, sizes[KLL_MAX_DEPTH + 1];
    double *items;
    if (read_levels(levels, n, (uint32_t)k, &num_levels, sizes, &items, &self->sk) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    uint32_t retained = 0;
    for (uint32_t h = 0; h < num_levels; h++) retained += sizes[h];
    for (uint32_t i = 0; i < retained; i++) {
        if (items[i] < lo || items[i] > hi) {
            PyErr_Format(PyExc_ValueError, "levels: an item lies outside [min, max] = [%R, %R]", min_obj, max_obj);
            PyMem_Free(items);
            Py_DECREF(self);
            return NULL;
        }
    }
    const int rc = kll_set_levels(&self->sk, num_levels, sizes, items, n, lo, hi);
    PyMem_Free(items);
    if (rc < 0) { Py_DECREF(self); return PyErr_NoMemory(); }
    return (PyObject *)self;
}

#define LOCKED_GETTER(name, expr)                                                                 \
    static PyObject *Kll_get_##name(KllObject *self, void *Py_UNUSED(closure)) {                  \
        lock_sketch(self);                                                                         \
        const kll_t *s = &self->sk;                                                                \
        PyObject *result = (expr);                                                                 \
        PyThread_release_lock(self->lock);                                                         \
        return result;                                                                             \
    }
LOCKED_GETTER(n, PyLong_FromUnsignedLongLong(s->n))
LOCKED_GETTER(k, PyLong_FromUnsignedLong(s->k))
LOCKED_GETTER(c, PyFloat_FromDouble(s->c))
LOCKED_GETTER(min, PyFloat_FromDouble(s->min))
LOCKED_GETTER(max, PyFloat_FromDouble(s->max))
LOCKED_GETTER(num_retained, PyLong_FromUnsignedLong(s->levels[s->num_levels] - s->levels[0]))
LOCKED_GETTER(num_levels, PyLong_FromUnsignedLong(s->num_levels))

static PyObject *Kll_is_empty(KllObject *self, PyObject *Py_UNUSED(ignored)) {
    lock_sketch(self);
    const int empty = self->sk.n == 0;
    PyThread_release_lock(self->lock);
    return PyBool_FromLong(empty);
}

static PyObject *Kll_repr(KllObject *self) {
    lock_sketch(self);
    const unsigned long long n = self->sk.n;
    const unsigned k = self->sk.k, retained = self->sk.levels[self->sk.num_levels] - self->sk.levels[0];
    PyThread_release_lock(self->lock);
    return PyUnicode_FromFormat("%s(k=%u, n=%llu, retained=%u)", Py_TYPE(self)->tp_name, k, n, retained);
}

static PyMethodDef Kll_methods[] = {
    {"update", (PyCFunction)Kll_update, METH_O,
     "update(values): add a C-contiguous float64 buffer (NaN ignored); releases the GIL while it works."},
    {"merge", (PyCFunction)Kll_merge, METH_O, "merge(other): add another sketch of the same k (DataSketches' merge)."},
    {"levels", (PyCFunction)Kll_levels, METH_NOARGS, "levels(): level h holds the items of weight 2**h, each sorted."},
    {"state", (PyCFunction)Kll_state, METH_NOARGS,
     "state(): {k, c, n, min, max, levels} from one consistent snapshot (min and max None when empty)."},
    {"is_empty", (PyCFunction)Kll_is_empty, METH_NOARGS, "is_empty(): True while no value was added."},
    {"sorted_view_buffers", (PyCFunction)Kll_sorted_view, METH_NOARGS,
     "sorted_view_buffers(): (items, cumulative weights) as bytearrays of float64 and uint64 values, items ascending "
     "(ties in level order), from one snapshot."},
    {"from_levels", (PyCFunction)(void (*)(void))Kll_from_levels, METH_CLASS | METH_VARARGS | METH_KEYWORDS,
     "from_levels(levels, n, min, max, *, k=200, seed=DEFAULT_SEED, c=2/3): rebuild a sketch from levels() and its n, "
     "min and max (None when empty). Levels above 0 must be sorted; ValueError names what is inconsistent."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Kll_getset[] = {
    {"n", (getter)Kll_get_n, NULL, "number of values added (NaN excluded)", NULL},
    {"k", (getter)Kll_get_k, NULL, "accuracy parameter k", NULL},
    {"c", (getter)Kll_get_c, NULL, "shrink factor of level capacities with depth", NULL},
    {"min", (getter)Kll_get_min, NULL, "smallest value added (NaN when empty)", NULL},
    {"max", (getter)Kll_get_max, NULL, "largest value added (NaN when empty)", NULL},
    {"num_retained", (getter)Kll_get_num_retained, NULL, "items the sketch keeps", NULL},
    {"num_levels", (getter)Kll_get_num_levels, NULL, "levels in use", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject KllType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "modelmonitor.analyzer.native._kll.KllSketch",
    .tp_doc = "KllSketch(k=200, seed=DEFAULT_SEED): Apache DataSketches' KLL quantile sketch of doubles, in C.",
    .tp_basicsize = sizeof(KllObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = Kll_new,
    .tp_dealloc = (destructor)Kll_dealloc,
    .tp_repr = (reprfunc)Kll_repr,
    .tp_methods = Kll_methods,
    .tp_getset = Kll_getset,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kll", "KLL sketch of doubles (DataSketches' algorithm).",
                                    -1, NULL, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__kll(void) {
    if (PyType_Ready(&KllType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "KllSketch", (PyObject *)&KllType) < 0
        || PyModule_AddObject(m, "DEFAULT_SEED", PyLong_FromUnsignedLongLong(DEFAULT_SEED)) < 0
        || PyModule_AddObjectRef(m, "SIMD_SORT", kll_simd_active() ? Py_True : Py_False) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
