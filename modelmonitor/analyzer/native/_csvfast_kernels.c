/* See _csvfast_kernels.h. */
#include "_csvfast_kernels.h"

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* bin_counts(values, edges, counts): adds to counts[i] the values with edges[i-1] < x <= edges[i] (len(edges)+1
 * bins, edges ascending; NaN goes to the last bin, as a binary search would sort it). */
/* Tallies of x over edges padded with +inf to `width` (a power of two above the n_edges real ones): the number of
 * edges below v by a binary search without branches (v > +inf never holds), NaN in the last bin. Four tallies, so
 * that runs of one bin do not wait on their own increments. */
static inline void tally_bins(const double *x, Py_ssize_t n, const double *padded, Py_ssize_t width,
                              Py_ssize_t n_edges, uint64_t local[4][33]) {
    for (Py_ssize_t i = 0; i < n; i++) {
        const double v = x[i];
        Py_ssize_t below = 0;
        for (Py_ssize_t step = width / 2; step >= 1; step /= 2)
            below += (Py_ssize_t)(v > padded[below + step - 1]) * step;
        local[i & 3][v != v ? n_edges : below]++;
    }
}

/* Tallies of x over at most FEW_EDGES edges (ascending): per edge, the values above it, two values a step in
 * vector compares with no per-value store (a value's bin is the number of edges below it, so bin i holds
 * above[i-1] - above[i]): about twice as fast as the search below for 10 bins. NaN is above no edge, hence counted
 * apart and put in the last bin, where a binary search sorts it. */
#define FEW_EDGES 16
typedef double f64x2 __attribute__((vector_size(16)));
typedef int64_t i64x2 __attribute__((vector_size(16)));

static inline __attribute__((always_inline)) void tally_few_edges(const double *x, Py_ssize_t n, const double *e,
                                                                   Py_ssize_t n_edges, double *out) {
    i64x2 above[FEW_EDGES];
    f64x2 edges[FEW_EDGES];
    for (Py_ssize_t j = 0; j < n_edges; j++) {
        above[j] = (i64x2){0, 0};
        edges[j] = (f64x2){e[j], e[j]};
    }
    i64x2 nan_lanes = {0, 0};
    Py_ssize_t i = 0;
    for (; i + 2 <= n; i += 2) {
        f64x2 v;
        memcpy(&v, x + i, sizeof(v));
        for (Py_ssize_t j = 0; j < n_edges; j++) above[j] -= v > edges[j];
        nan_lanes -= v != v;
    }
    uint64_t counts[FEW_EDGES], nans = (uint64_t)(nan_lanes[0] + nan_lanes[1]);
    for (Py_ssize_t j = 0; j < n_edges; j++) counts[j] = (uint64_t)(above[j][0] + above[j][1]);
    for (; i < n; i++) {
        for (Py_ssize_t j = 0; j < n_edges; j++) counts[j] += x[i] > e[j];
        nans += x[i] != x[i];
    }
    uint64_t below_all = (uint64_t)n - nans;
    for (Py_ssize_t j = 0; j < n_edges; j++) {
        out[j] += (double)(below_all - counts[j]);
        below_all = counts[j];
    }
    out[n_edges] += (double)(below_all + nans);
}

PyObject *csvfast_bin_counts(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer values, edges, counts;
    if (!PyArg_ParseTuple(args, "y*y*w*", &values, &edges, &counts)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = values.len / (Py_ssize_t)sizeof(double), n_edges = edges.len / (Py_ssize_t)sizeof(double);
    if (counts.len != (n_edges + 1) * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "counts must hold len(edges) + 1 float64 values");
        goto done;
    }
    const double *x = values.buf, *e = edges.buf;
    double *out = counts.buf;
    Py_BEGIN_ALLOW_THREADS
    if (n_edges <= FEW_EDGES) {
        switch (n_edges) { /* a constant count keeps the edges and tallies in registers */
#define FEW_EDGES_CASE(k) case k: tally_few_edges(x, n, e, k, out); break;
        FEW_EDGES_CASE(0) FEW_EDGES_CASE(1) FEW_EDGES_CASE(2) FEW_EDGES_CASE(3) FEW_EDGES_CASE(4) FEW_EDGES_CASE(5)
        FEW_EDGES_CASE(6) FEW_EDGES_CASE(7) FEW_EDGES_CASE(8) FEW_EDGES_CASE(9) FEW_EDGES_CASE(10) FEW_EDGES_CASE(11)
        FEW_EDGES_CASE(12) FEW_EDGES_CASE(13) FEW_EDGES_CASE(14) FEW_EDGES_CASE(15) FEW_EDGES_CASE(16)
#undef FEW_EDGES_CASE
        }
    } else if (n_edges <= 32) {
        double padded[64];
        Py_ssize_t width = 1;
        while (width <= n_edges) width *= 2;
        for (Py_ssize_t j = 0; j < width; j++) padded[j] = j < n_edges ? e[j] : INFINITY;
        uint64_t local[4][33];
        memset(local, 0, sizeof(local));
        switch (width) {  /* a constant width unrolls the search */
        case 1: tally_bins(x, n, padded, 1, n_edges, local); break;
        case 2: tally_bins(x, n, padded, 2, n_edges, local); break;
        case 4: tally_bins(x, n, padded, 4, n_edges, local); break;
        case 8: tally_bins(x, n, padded, 8, n_edges, local); break;
        case 16: tally_bins(x, n, padded, 16, n_edges, local); break;
        case 32: tally_bins(x, n, padded, 32, n_edges, local); break;
        default: tally_bins(x, n, padded, 64, n_edges, local); break;
        }
        for (Py_ssize_t j = 0; j <= n_edges; j++)
            out[j] += (double)(local[0][j] + local[1][j] + local[2][j] + local[3][j]);
    } else {
        for (Py_ssize_t i = 0; i < n; i++) {
            double v = x[i];
            Py_ssize_t lo = 0, hi = n_edges;
            if (v != v) {
                lo = n_edges;
            } else {
                while (lo < hi) { /* first edge >= v */
                    Py_ssize_t mid = (lo + hi) / 2;
                    if (e[mid] < v) lo = mid + 1;
                    else hi = mid;
                }
            }
            out[lo] += 1.0;
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&values);
    PyBuffer_Release(&edges);
    PyBuffer_Release(&counts);
    return result;
}

/* more_distinct_than(values, limit) -> bool: whether the float64 values hold more than `limit` distinct numbers
 * (-0.0 and 0.0 are one number, as for np.unique); stops as soon as they do. An open-addressing set on the values'
 * bits: a continuous column is told apart after limit + 1 values, without sorting anything. */
PyObject *csvfast_more_distinct_than(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer values;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "y*n", &values, &limit)) return NULL;
    if (limit < 0) {
        PyBuffer_Release(&values);
        PyErr_Format(PyExc_ValueError, "limit must be >= 0, not %zd", limit);
        return NULL;
    }
    Py_ssize_t n = values.len / (Py_ssize_t)sizeof(double);
    /* No more distinct numbers than values: the table is sized for the fewer of limit + 1 and n (a limit near
     * 2**62 doubled `slots` past size_t's range, and never stopped). */
    size_t wanted = (size_t)(limit < n ? limit + 1 : n);
    size_t slots = 16;
    while (slots < 2 * wanted) slots *= 2;
    uint64_t *table = calloc(slots, sizeof(uint64_t));
    uint8_t *used = calloc(slots, 1);
    if (table == NULL || used == NULL) {
        free(table);
        free(used);
        PyBuffer_Release(&values);
        return PyErr_NoMemory();
    }
    Py_ssize_t distinct = 0;
    const double *x = values.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n && distinct <= limit; i++) {
        double v = x[i] == 0.0 ? 0.0 : x[i];
        uint64_t bits;
        memcpy(&bits, &v, sizeof(bits));
        size_t slot = (size_t)((bits * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (slots - 1);
        while (used[slot] && table[slot] != bits) slot = (slot + 1) & (slots - 1);
        if (!used[slot]) {
            used[slot] = 1;
            table[slot] = bits;
            distinct++;
        }
    }
    Py_END_ALLOW_THREADS
    free(table);
    free(used);
    PyBuffer_Release(&values);
    return PyBool_FromLong(distinct > limit);
}

/* moments(values) -> (sum, mean, m2, min, max) of finite float64 values (n > 0): two passes without the GIL (sums
 * with the bounds, then squared deviations). The sums run in 8 lanes over blocks, close to NumPy's pairwise
 * accuracy. Values beyond ~1e154 give an infinite m2 (the sum of squared deviations), as in NumPy, but without a
 * floating-point warning. The bounds too run in 8 lanes (one chain waited on each comparison), then give exactly
 * what one chain in order gives. */
typedef struct {
    double lo[8], hi[8];
} Bounds;

static double sum_of(const double *x, Py_ssize_t n, Bounds *b) {
    double lanes[8] = {0};
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) {
            const double v = x[i + k];
            lanes[k] += v;
            b->lo[k] = v < b->lo[k] ? v : b->lo[k];
            b->hi[k] = v > b->hi[k] ? v : b->hi[k];
        }
    double total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for (; i < n; i++) {
        total += x[i];
        b->lo[0] = x[i] < b->lo[0] ? x[i] : b->lo[0];
        b->hi[0] = x[i] > b->hi[0] ? x[i] : b->hi[0];
    }
    return total;
}

/* The bound one chain over x in order gives (`x[i] < lo ? x[i] : lo` from x[0], or `>`): the lanes' bound, and for
 * a zero bound the sign of the first zero met. */
static double one_chain_bound(const double *lanes, int lowest, const double *x, Py_ssize_t n) {
    double bound = lanes[0];
    for (int k = 1; k < 8; k++)
        bound = lowest ? (lanes[k] < bound ? lanes[k] : bound) : (lanes[k] > bound ? lanes[k] : bound);
    if (bound != 0.0) return bound;
    for (Py_ssize_t i = 0; i < n; i++)
        if (x[i] == 0.0) return x[i];
    return bound;
}

static double squared_deviations(const double *x, Py_ssize_t n, double mean) {
    double lanes[8] = {0};
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) {
            double d = x[i + k] - mean;
            lanes[k] += d * d;
        }
    double total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for (; i < n; i++) {
        double d = x[i] - mean;
        total += d * d;
    }
    return total;
}

PyObject *csvfast_moments(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer values;
    if (PyObject_GetBuffer(arg, &values, PyBUF_SIMPLE) < 0) return NULL;
    Py_ssize_t n = values.len / (Py_ssize_t)sizeof(double);
    if (n == 0) {
        PyBuffer_Release(&values);
        PyErr_SetString(PyExc_ValueError, "moments of no values");
        return NULL;
    }
    const double *x = values.buf;
    double total = 0.0, mean = 0.0, m2 = 0.0, lo = x[0], hi = x[0];
    Py_BEGIN_ALLOW_THREADS
    const Py_ssize_t block = 4096;
    Bounds bounds;
    for (int k = 0; k < 8; k++) bounds.lo[k] = bounds.hi[k] = x[0];
    for (Py_ssize_t start = 0; start < n; start += block)
        total += sum_of(x + start, n - start < block ? n - start : block, &bounds);
    lo = one_chain_bound(bounds.lo, 1, x, n);
    hi = one_chain_bound(bounds.hi, 0, x, n);
    mean = total / (double)n;
    m2 = squared_deviations(x, n, mean);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&values);
    return Py_BuildValue("(ddddd)", total, mean, m2, lo, hi);
}

/* count_newlines(block) -> int: bytes.count(b"\n"), with memchr (vectorised by the C library), without the GIL. */
PyObject *csvfast_count_newlines(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer block;
    if (PyObject_GetBuffer(arg, &block, PyBUF_SIMPLE) < 0) return NULL;
    Py_ssize_t count = 0;
    const char *p = block.buf, *end = p + block.len;
    Py_BEGIN_ALLOW_THREADS
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        count++;
        p++;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&block);
    return PyLong_FromSsize_t(count);
}

/* scan_block(block) -> (newlines, quoted): bytes.count(b"\n"), and whether a '"' or a '\r' is among the bytes (the
 * CSV reader's plain-block test), in one pass without the GIL instead of three. Byte counters over 255-byte runs
 * (they cannot wrap): the compiler turns the loop into vector compares, 16 or more bytes a step. */
PyObject *csvfast_scan_block(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer block;
    if (PyObject_GetBuffer(arg, &block, PyBUF_SIMPLE) < 0) return NULL;
    Py_ssize_t count = 0;
    unsigned char special = 0;
    const unsigned char *p = block.buf, *end = p + block.len;
    Py_BEGIN_ALLOW_THREADS
    while (p < end) {
        const unsigned char *stop = end - p > 255 ? p + 255 : end;
        unsigned char newlines = 0, marks = 0;
        for (; p < stop; p++) {
            newlines += *p == '\n';
            marks |= (*p == '"') | (*p == '\r');
        }
        count += newlines;
        special |= marks;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&block);
    return Py_BuildValue("(nO)", count, special ? Py_True : Py_False);
}


/* A local file is read through memory maps of it (sources._mapped_blocks). If the file is cut short while it is
 * read, the pages behind a block go with it and the next touch of them is a SIGBUS, which would end the process
 * without a word (a read() would just have returned less). This handler says which file in one line and exits 2,
 * the analyzer's code for an input error. It only writes a message made beforehand and exits: both are safe in a
 * signal handler. Installed once; each file read through maps names itself (the last one named is reported). */
static char lost_pages_message[4352];
static size_t lost_pages_length;

static void report_lost_pages(int signal_number) {
    (void)signal_number;
    ssize_t written = write(STDERR_FILENO, lost_pages_message, lost_pages_length);
    (void)written;
    _exit(2);
}

PyObject *csvfast_report_shrinking(PyObject *self, PyObject *arg) {
    (void)self;
    Py_ssize_t length;
    const char *path = PyUnicode_AsUTF8AndSize(arg, &length);
    if (path == NULL) return NULL;
    static int installed = 0;
    const int n = snprintf(lost_pages_message, sizeof(lost_pages_message),
                           "%.4096s: the file shrank while it was being read (it is read through a memory map, "
                           "which lost pages); run again once nothing else writes to it\n", path);
    lost_pages_length = n < 0 ? 0 : (size_t)n < sizeof(lost_pages_message) ? (size_t)n : sizeof(lost_pages_message) - 1;
    if (!installed) {
        struct sigaction action;
        memset(&action, 0, sizeof(action));
        action.sa_handler = report_lost_pages;
        sigemptyset(&action.sa_mask);
        if (sigaction(SIGBUS, &action, NULL) != 0) return PyErr_SetFromErrno(PyExc_OSError);
        installed = 1;
    }
    Py_RETURN_NONE;
}
