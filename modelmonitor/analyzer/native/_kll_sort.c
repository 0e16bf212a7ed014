/* Sorting and merging runs of doubles for _kll_core.c: the two steps that make up most of an update's cost (at each
 * compaction level zero is sorted, and half of it merged into level one: every ~14 values in a deep k = 200
 * sketch, every few dozen to few hundred at k = 2048), so each is branch-free per item. No NaN ever reaches them. */
#include "_kll_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Merging two sorted runs (kll_helper::merge_sorted_arrays; ties take y first) is the other half of the cost.
 * Branch-free per item: a merging network for runs of up to 8 + 8 items (Batcher's odd-even merge, padded with
 * +inf), else two chains at once, one from the fronts (ties: y first) and one from the backs (ties: x last), which
 * halves the dependency chain of a merge; a run is never read past either end. Equal items may swap places only as
 * -0.0 and 0.0 do, which nothing can tell apart. */
#define CS(i, j) { const double x = v##i, y = v##j; v##i = min_d(x, y); v##j = max_d(y, x); }
#define LOAD(i) double v##i = pad[i];
#define STORE(i) pad[i] = v##i;
#define SHORT_MERGE 1024  /* doubles of stack scratch for an in-place merge */

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

/* The front chain alone, bounds checked: safe in place while out + len_x is y (the output never overtakes y). */
static void merge_front(const double *x, size_t len_x, const double *y, size_t len_y, double *out) {
    size_t a = 0, b = 0;
    while (a < len_x && b < len_y) {
        const double u = x[a], w = y[b];
        const int take_x = u < w;
        *out++ = min_d(u, w);  /* exactly the item taken: u if u < w, else w */
        a += (size_t)take_x;
        b += (size_t)!take_x;
    }
    memmove(out, x + a, (len_x - a) * sizeof(double));
    memmove(out + (len_x - a), y + b, (len_y - b) * sizeof(double));
}

/* Both chains; out must overlap neither run. Each round runs as many steps as no run can be exhausted in (a chain
 * consumes at most one item of each run per step), so no read needs a bounds check; the front chain finishes what
 * is left. Reading an item the other chain already took is harmless: it lies beyond everything left, in the order
 * that breaks ties (y before x). */
static void merge_apart(const double *x, size_t len_x, const double *y, size_t len_y, double *out) {
    size_t fx = 0, fy = 0, bx = len_x, by = len_y;  /* fronts: next to take; backs: one past the next to take */
    double *front = out, *back = out + len_x + len_y;
    for (;;) {
        size_t steps = (size_t)(back - front) / 2;
        if (len_x - fx < steps) steps = len_x - fx;
        if (len_y - fy < steps) steps = len_y - fy;
        if (bx < steps) steps = bx;
        if (by < steps) steps = by;
        if (steps == 0) break;
        for (size_t i = 0; i < steps; i++) {
            const double u = x[fx], w = y[fy], ue = x[bx - 1], we = y[by - 1];
            const int take_x = u < w, back_x = !(ue < we);
            *front++ = min_d(u, w);
            *--back = max_d(we, ue);  /* ue if ue >= we, else we */
            fx += (size_t)take_x;
            fy += (size_t)!take_x;
            bx -= (size_t)back_x;
            by -= (size_t)!back_x;
        }
    }
    merge_front(x + fx, bx - fx, y + fy, by - fy, front);
}

/* merge_apart's contract, in vector registers where kll_merge_chains can (AVX2, both runs at least 8 items long):
 * what it leaves (two held fours, under eight items of one run, any number of the other's) is merged here. */
static void merge_long(const double *x, size_t len_x, const double *y, size_t len_y, double *out) {
    kll_leftover_t rest;
    double *front = kll_merge_chains(x, len_x, y, len_y, out, &rest);
    if (front == NULL) {
        merge_apart(x, len_x, y, len_y, out);
        return;
    }
    const size_t left_x = (size_t)(rest.x_end - rest.x), left_y = (size_t)(rest.y_end - rest.y);
    const int short_x = left_x < left_y;
    double held[8], small[15];
    merge_front(rest.held, 4, rest.held + 4, 4, held);
    merge_front(held, 8, short_x ? rest.x : rest.y, short_x ? left_x : left_y, small);
    merge_apart(small, 8 + (short_x ? left_x : left_y), short_x ? rest.y : rest.x, short_x ? left_y : left_x, front);
}

static int overlaps(const double *run, size_t len, const double *out, size_t total) {
    const uintptr_t r = (uintptr_t)run, o = (uintptr_t)out;
    return r < o + total * sizeof(double) && o < r + len * sizeof(double);
}

void kll_merge_runs(const double *x, uint32_t len_x, const double *y, uint32_t len_y, double *out) {
    if (len_x <= 8 && len_y <= 8) {
        merge_network(x, len_x, y, len_y, out);
        return;
    }
    const size_t total = (size_t)len_x + len_y;
    if (!overlaps(y, len_y, out, total)) {  /* x never overlaps out: it ends at or below it */
        merge_long(x, len_x, y, len_y, out);
        return;
    }
    double stack[SHORT_MERGE];  /* in place: y moves aside first */
    double *scratch = len_y <= SHORT_MERGE ? stack : malloc(len_y * sizeof(double));
    if (scratch == NULL) {
        merge_front(x, len_x, y, len_y, out);
        return;
    }
    memcpy(scratch, y, len_y * sizeof(double));
    merge_long(x, len_x, scratch, len_y, out);
    if (scratch != stack) free(scratch);
}

/* Sorting level zero is most of the cost of an update: in a deep sketch level zero compacts every few dozen to
 * few hundred items. Runs of up to 16 items go through Batcher's odd-even merge sort networks for 8 and 16 inputs
 * (padded with +inf, in registers, branch-free); longer runs are sorted in blocks of 16 by the network, then merged
 * pairwise, bottom up, between the run and scratch space (branch-free merges: random data costs no mispredicted
 * branch, and ties cost nothing either). Quicksort stands in when a long run finds no scratch space. */
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

/* Quicksort (median of three, Hoare partition, which keeps heavy ties balanced) down to 16 items: needs no memory. */
static void sort_in_place(double *a, size_t n) {
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
        if (left < n - left) { sort_in_place(a, left); a += left; n -= left; }
        else { sort_in_place(a + left, n - left); n = left; }
    }
    if (n > 16) {  /* two networks and a merge */
        double runs[32];
        memcpy(runs, a, n * sizeof(double));
        sort16(runs, 16);
        sort16(runs + 16, n - 16);
        merge_apart(runs, 16, runs + 16, n - 16, a);
    } else if (n > 8) {
        sort16(a, n);
    } else if (n > 1) {
        sort8(a, n);
    }
}

#define SHORT_SORT 2048  /* doubles of stack scratch for a sort */

void kll_sort(double *a, size_t n) {
    if (n <= 16) {
        if (n > 8) sort16(a, n);
        else if (n > 1) sort8(a, n);
        return;
    }
    double stack[SHORT_SORT];
    double *scratch = n <= SHORT_SORT ? stack : malloc(n * sizeof(double));
    if (scratch == NULL) {
        sort_in_place(a, n);
        return;
    }
    size_t first_width = 16;
    if (kll_sort_blocks(a, n)) {  /* blocks in vector registers */
        first_width = KLL_SIMD_BLOCK;
    } else {
        for (size_t i = 0; i < n; i += 16) sort16(a + i, n - i < 16 ? n - i : 16);
    }
    double *from = a, *to = scratch;
    for (size_t width = first_width; width < n; width *= 2) {
        for (size_t i = 0; i < n; i += 2 * width) {
            const size_t len_x = n - i < width ? n - i : width, rest = n - i - len_x;
            const size_t len_y = rest < width ? rest : width;
            if (len_y == 0) memcpy(to + i, from + i, len_x * sizeof(double));
            else merge_long(from + i, len_x, from + i + len_x, len_y, to + i);
        }
        double *swap = from;
        from = to;
        to = swap;
    }
    if (from != a) memcpy(a, from, n * sizeof(double));
    if (scratch != stack) free(scratch);
}
