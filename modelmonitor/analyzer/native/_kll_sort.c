/* Sorting and merging runs of doubles for _kll_core.c: the two steps that make up most of an update's cost (level
 * zero is sorted and merged into level one every ~14 values in a deep sketch), so each is branch-free per item. No
 * NaN ever reaches them. */
#include "_kll_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Merging two sorted runs (kll_helper::merge_sorted_arrays; ties take y first) is the other half of the cost.
 * Three ways, all branch-free per item: a merging network for runs of up to 8 + 8 items (Batcher's odd-even
 * merge, padded with +inf), two chains (from the front, and from the back taking x on ties) that overlap for
 * finite runs (scratch space on the stack up to SHORT_MERGE items, else on the heap), and one chain when the runs
 * hold an infinity or no scratch space is to be had. Equal items may swap places only as -0.0 and 0.0 do, which
 * nothing can tell apart. */
#define CS(i, j) { const double x = v##i, y = v##j; v##i = min_d(x, y); v##j = max_d(y, x); }
#define LOAD(i) double v##i = pad[i];
#define STORE(i) pad[i] = v##i;
#define SHORT_MERGE 256

static void merge_chain(const double *x, uint32_t len_x, const double *y, uint32_t len_y, double *out) {
    uint32_t a = 0, b = 0;
    while (a < len_x && b < len_y) {
        const double u = x[a], w = y[b];
        const int take_x = u < w;
        *out++ = min_d(u, w);
        a += (uint32_t)take_x;
        b += (uint32_t)!take_x;
    }
    memmove(out, x + a, (len_x - a) * sizeof(double));
    memmove(out + (len_x - a), y + b, (len_y - b) * sizeof(double));
}

static void merge_network(const double *x, uint32_t len_x, const double *y, uint32_t len_y, double *out) {
    double pad[16] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY,
                      INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
    memcpy(pad, x, len_x * sizeof(double));
    memcpy(pad + 8, y, len_y * sizeof(double));
    LOAD(0) LOAD(1) LOAD(2) LOAD(3) LOAD(4) LOAD(5) LOAD(6) LOAD(7)
    LOAD(8) LOAD(9) LOAD(10) LOAD(11) LOAD(12) LOAD(13) LOAD(14) LOAD(15)
    CS(0, 8) CS(1, 9) CS(2, 10) CS(3, 11) CS(4, 12) CS(5, 13) CS(6, 14) CS(7, 15) CS(4, 8) CS(5, 9) CS(6, 10)
    CS(7, 11) CS(2, 4) CS(3, 5) CS(6, 8) CS(7, 9) CS(10, 12) CS(11, 13) CS(1, 2) CS(3, 4) CS(5, 6) CS(7, 8)
    CS(9, 10) CS(11, 12) CS(13, 14)
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
    STORE(8) STORE(9) STORE(10) STORE(11) STORE(12) STORE(13) STORE(14) STORE(15)
    memcpy(out, pad, (len_x + len_y) * sizeof(double));
}

/* Copies of the runs between -inf and +inf sentinels, so neither chain needs a bounds check; scratch holds
 * 3 * (len_x + len_y) + 4 doubles. */
static void merge_two_chains(const double *x, uint32_t len_x, const double *y, uint32_t len_y, double *out,
                             double *scratch) {
    const uint32_t total = len_x + len_y;
    double *xs = scratch, *ys = xs + len_x + 2, *tmp = ys + len_y + 2;
    xs[0] = ys[0] = -INFINITY;
    memcpy(xs + 1, x, len_x * sizeof(double));
    memcpy(ys + 1, y, len_y * sizeof(double));
    xs[len_x + 1] = ys[len_y + 1] = INFINITY;
    const double *fa = xs + 1, *fb = ys + 1, *ba = xs + len_x, *bb = ys + len_y;
    double *front = tmp, *back = tmp + total - 1;
    for (uint32_t i = 0; i < total / 2; i++) {
        const double u = *fa, w = *fb, ue = *ba, we = *bb;
        const int take_x = u < w, back_x = !(ue < we);
        *front++ = min_d(u, w);
        *back-- = max_d(we, ue);
        fa += take_x;
        fb += !take_x;
        ba -= back_x;
        bb -= !back_x;
    }
    if (total & 1) *front = min_d(*fa, *fb);
    memcpy(out, tmp, total * sizeof(double));
}

void kll_merge_runs(const double *x, uint32_t len_x, const double *y, uint32_t len_y, double *out) {
    if (len_x <= 8 && len_y <= 8) {
        merge_network(x, len_x, y, len_y, out);
        return;
    }
    const size_t total = (size_t)len_x + len_y;
    if (len_x && len_y && isfinite(x[0]) && isfinite(x[len_x - 1]) && isfinite(y[0]) && isfinite(y[len_y - 1])) {
        double stack[3 * SHORT_MERGE + 4];
        double *scratch = total <= SHORT_MERGE ? stack : malloc((3 * total + 4) * sizeof(double));
        if (scratch != NULL) {
            merge_two_chains(x, len_x, y, len_y, out, scratch);
            if (scratch != stack) free(scratch);
            return;
        }
    }
    merge_chain(x, len_x, y, len_y, out);
}

/* Sorting level zero is most of the cost of an update: in a deep sketch level zero compacts every ~14 items.
 * Runs of up to 16 items go through Batcher's odd-even merge sort networks for 8 and 16 inputs (padded with +inf,
 * in registers, branch-free); longer runs through quicksort (median of three, Hoare partition, which keeps heavy
 * ties balanced) down to 32 items, then two networks and a merge. */
static void sort8(double *a, size_t n) {
    double pad[8] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
    memcpy(pad, a, n * sizeof(double));
    LOAD(0) LOAD(1) LOAD(2) LOAD(3) LOAD(4) LOAD(5) LOAD(6) LOAD(7)
    CS(0, 1) CS(2, 3) CS(4, 5) CS(6, 7) CS(0, 2) CS(1, 3) CS(4, 6) CS(5, 7) CS(1, 2) CS(5, 6) CS(0, 4) CS(1, 5)
    CS(2, 6) CS(3, 7) CS(2, 4) CS(3, 5) CS(1, 2) CS(3, 4) CS(5, 6)
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
    memcpy(a, pad, n * sizeof(double));
}

static void sort16(double *a, size_t n) {
    double pad[16];
    memcpy(pad, a, n * sizeof(double));
    for (size_t i = n; i < 16; i++) pad[i] = INFINITY;
    LOAD(0) LOAD(1) LOAD(2) LOAD(3) LOAD(4) LOAD(5) LOAD(6) LOAD(7)
    LOAD(8) LOAD(9) LOAD(10) LOAD(11) LOAD(12) LOAD(13) LOAD(14) LOAD(15)
    CS(0, 1) CS(2, 3) CS(4, 5) CS(6, 7) CS(8, 9) CS(10, 11) CS(12, 13) CS(14, 15) CS(0, 2) CS(1, 3) CS(4, 6)
    CS(5, 7) CS(8, 10) CS(9, 11) CS(12, 14) CS(13, 15) CS(1, 2) CS(5, 6) CS(9, 10) CS(13, 14) CS(0, 4) CS(1, 5)
    CS(2, 6) CS(3, 7) CS(8, 12) CS(9, 13) CS(10, 14) CS(11, 15) CS(2, 4) CS(3, 5) CS(10, 12) CS(11, 13) CS(1, 2)
    CS(3, 4) CS(5, 6) CS(9, 10) CS(11, 12) CS(13, 14) CS(0, 8) CS(1, 9) CS(2, 10) CS(3, 11) CS(4, 12) CS(5, 13)
    CS(6, 14) CS(7, 15) CS(4, 8) CS(5, 9) CS(6, 10) CS(7, 11) CS(2, 4) CS(3, 5) CS(6, 8) CS(7, 9) CS(10, 12)
    CS(11, 13) CS(1, 2) CS(3, 4) CS(5, 6) CS(7, 8) CS(9, 10) CS(11, 12) CS(13, 14)
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
    STORE(8) STORE(9) STORE(10) STORE(11) STORE(12) STORE(13) STORE(14) STORE(15)
    memcpy(a, pad, n * sizeof(double));
}

void kll_sort(double *a, size_t n) {
    while (n > 32) {
        double *mid = a + n / 2, *hi = a + n - 1, t;
        if (*mid < *a) { t = *mid; *mid = *a; *a = t; }
        if (*hi < *mid) { t = *hi; *hi = *mid; *mid = t; if (*mid < *a) { t = *mid; *mid = *a; *a = t; } }
        const double p = *mid;
        size_t i = 0, j = n - 1;
        for (;;) {
            while (a[i] < p) i++;
            while (p < a[j]) j--;
            if (i >= j) break;
            t = a[i]; a[i] = a[j]; a[j] = t;
            i++; j--;
        }
        const size_t left = j + 1;  /* [0, j] and [j + 1, n) */
        if (left < n - left) { kll_sort(a, left); a += left; n -= left; }
        else { kll_sort(a + left, n - left); n = left; }
    }
    if (n > 16) {  /* two networks and a merge */
        double runs[32];
        memcpy(runs, a, n * sizeof(double));
        sort16(runs, 16);
        sort16(runs + 16, n - 16);
        kll_merge_runs(runs, 16, runs + 16, (uint32_t)n - 16, a);
    } else if (n > 8) {
        sort16(a, n);
    } else if (n > 1) {
        sort8(a, n);
    }
}
