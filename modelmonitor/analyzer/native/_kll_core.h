/* A KLL sketch of doubles: Apache DataSketches' kll_sketch algorithm (kll_sketch_impl.hpp, kll_helper_impl.hpp)
 * in plain C, without any Python object, so that it runs with the GIL released. _kll.c is the Python face.
 *
 * Layout as DataSketches': one items array with the free space at the front; levels[h]..levels[h+1] holds the
 * items of weight 2**h; level 0 fills downwards from levels[0] and is sorted only when it is compacted (or read).
 * Invariants: levels[num_levels] == capacity == total capacity for num_levels; levels >= 1 sorted; the weights
 * sum to n exactly. NaN never enters (callers skip it). */
#ifndef MODELMONITOR_KLL_CORE_H
#define MODELMONITOR_KLL_CORE_H

#include <stddef.h>
#include <stdint.h>

/* x < y ? x : y and y < x ? x : y (never NaN here), branch-free: GCC compiles the plain ternaries to branches. */
#if defined(__SSE2__)
#include <emmintrin.h>
static inline double min_d(double x, double y) { return _mm_cvtsd_f64(_mm_min_sd(_mm_set_sd(x), _mm_set_sd(y))); }
static inline double max_d(double x, double y) { return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(x), _mm_set_sd(y))); }
#else
static inline double min_d(double x, double y) { return x < y ? x : y; }
static inline double max_d(double x, double y) { return y < x ? x : y; }
#endif

#define KLL_M 8            /* DataSketches' minimum level width */
#define KLL_MIN_K KLL_M
#define KLL_MAX_K 65535
#define KLL_MAX_DEPTH 60   /* DataSketches' int_cap_aux limit: at most 61 levels */

#define KLL_DATASKETCHES_C (2.0 / 3.0)  /* DataSketches' shrink factor: capacities in exact integer arithmetic */

typedef struct {
    uint32_t k;
    double c;              /* shrink factor of level capacities with depth, in (0.5, 1) */
    uint32_t num_levels;
    uint32_t *levels;      /* num_levels + 1 used; levels_cap allocated (always >= num_levels + 2) */
    uint32_t levels_cap;
    double *items;         /* capacity allocated */
    uint32_t capacity;
    uint64_t n;
    double min, max;       /* NaN while empty */
    int level_zero_sorted;
    uint64_t rng;          /* splitmix64 state */
    uint64_t bits;         /* unused random bits of the last draw */
    int nbits;
    uint32_t caps[KLL_MAX_DEPTH + 1];  /* level capacity by depth: max(m, round(k * c**depth)) */
} kll_t;

#define KLL_COUNT_OVERFLOW (-3)  /* n would pass 2**64 - 1: refused, the sketch unchanged */

/* All return 0 on success, -1 when memory ran out (the sketch then still holds a consistent state). */
int kll_init(kll_t *s, uint32_t k, double c, uint64_t seed);
void kll_free(kll_t *s);
int kll_copy(kll_t *dst, const kll_t *src);
int kll_update(kll_t *s, const double *values, size_t len);
int kll_merge(kll_t *s, const kll_t *other);  /* other must not alias s; same k and c */
void kll_sort_level_zero(kll_t *s);
uint32_t kll_total_capacity(const kll_t *s, uint32_t num_levels);
uint32_t kll_ub_on_num_levels(uint64_t n);
/* Every retained item ascending with its cumulative weight (ties in level order); level zero must be sorted. */
int kll_sorted_view(const kll_t *s, double *items, uint64_t *cumulative);
/* Installs levels (num_levels + 1 offsets into items, in the layout above) that the caller validated. */
int kll_set_levels(kll_t *s, uint32_t num_levels, const uint32_t *sizes, const double *items, uint64_t n,
                   double min, double max);

/* _kll_simd.c: sorts a[0..n) into runs of KLL_SIMD_BLOCK items (the last one shorter), each in place, and returns 1;
 * returns 0 having done nothing when the CPU lacks the vector instructions it needs. */
#define KLL_SIMD_BLOCK 64
#define KLL_SIMD_ENV "MODELMONITOR_KLL_SIMD"
int kll_sort_blocks(double *a, size_t n);
int kll_simd_active(void);
/* Merges sorted x and y into out (overlapping neither) in vector registers until under eight items of one run are
 * left unread; returns where the output's front stopped, with what is left to merge (the unread parts of both runs
 * and eight held items, two sorted fours) in *rest, all of it ordered between the two ends already written. NULL,
 * having done nothing, without AVX2 or when a run has under eight items. */
typedef struct {
    const double *x, *x_end, *y, *y_end;
    double held[8];
} kll_leftover_t;
double *kll_merge_chains(const double *x, size_t len_x, const double *y, size_t len_y, double *out,
                         kll_leftover_t *rest);  /* 1 when kll_sort_blocks sorts (AVX2 present, not turned off by KLL_SIMD_ENV) */

/* _kll_sort.c */
void kll_sort(double *a, size_t n);
/* Merges sorted x and y into out (ties: y first). out may overlap them only as an in-place compaction lays them
 * out: x ends at or below out, and out + len_x is y. */
void kll_merge_runs(const double *x, uint32_t len_x, const double *y, uint32_t len_y, double *out);

#endif
