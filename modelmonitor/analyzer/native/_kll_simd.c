/* Sorting and merging in AVX2 registers for kll_sort and kll_merge_runs (_kll_sort.c): at k = 2048 sorting level
 * zero (a few hundred items at a time) is most of an update's cost. Blocks of 64 are sorted by bitonic networks on
 * four-wide vectors, and sorted runs merged four items per step from both ends (about 10 instead of 17 ns per
 * value added to a deep sketch). Chosen at run time: the CPU may lack AVX2 (another x86-64, or an aarch64 build,
 * where this file compiles to stubs), and then the scalar code runs.
 *
 * Every compare-exchange writes min(a, b) and max(a, b) with the operands in that order: vminpd and vmaxpd return
 * their second operand when the two compare equal, so a tie (only -0.0 against 0.0 can be told apart) keeps both
 * items instead of writing one of them twice. No NaN ever reaches a sort.
 *
 * MODELMONITOR_KLL_SIMD=0 in the environment (read once) keeps the scalar path: tests compare the two. */
#include "_kll_core.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2")))

/* (min, max) of each lane pair of a and b, kept in a and b. */
AVX2 static inline void cs(__m256d *a, __m256d *b) {
    const __m256d lo = _mm256_min_pd(*a, *b), hi = _mm256_max_pd(*b, *a);
    *a = lo;
    *b = hi;
}

AVX2 static inline __m256d reversed(__m256d v) { return _mm256_permute4x64_pd(v, 0x1B); }

/* A bitonic run of four in one vector, sorted: compare-exchange at distance 2, then 1. In each lane pair the lower
 * lane computes min(v, s) and the upper max(v, s), whose operands are the same two items the other way round. */
AVX2 static inline __m256d clean4(__m256d v) {
    __m256d s = _mm256_permute2f128_pd(v, v, 0x01);  /* (v2, v3, v0, v1) */
    v = _mm256_blend_pd(_mm256_min_pd(v, s), _mm256_max_pd(v, s), 0xC);
    s = _mm256_permute_pd(v, 0x5);  /* (v1, v0, v3, v2) */
    return _mm256_blend_pd(_mm256_min_pd(v, s), _mm256_max_pd(v, s), 0xA);
}

/* A bitonic run of 4 * m items in v[0..m) (m a power of two), sorted. */
AVX2 static inline void clean(__m256d *v, int m) {
    for (int d = m / 2; d >= 1; d /= 2)
        for (int i = 0; i < m; i++)
            if (!(i & d)) cs(&v[i], &v[i + d]);
    for (int i = 0; i < m; i++) v[i] = clean4(v[i]);
}

/* Sorted runs a[0..m) and b[0..m) of 4 * m items each become one sorted run a[0..m), b[0..m). */
AVX2 static inline void merge_vectors(__m256d *a, __m256d *b, int m) {
    __m256d r[8];
    for (int i = 0; i < m; i++) r[i] = reversed(b[m - 1 - i]);
    for (int i = 0; i < m; i++) {
        const __m256d lo = _mm256_min_pd(a[i], r[i]), hi = _mm256_max_pd(r[i], a[i]);
        a[i] = lo;
        b[i] = hi;
    }
    clean(a, m);
    clean(b, m);
}

/* Sixteen items in v[0..4), sorted: columns by a four-input network, a transpose makes them four sorted rows, then
 * rows merge pairwise. */
AVX2 static inline void sort16_vectors(__m256d *v) {
    cs(&v[0], &v[1]);
    cs(&v[2], &v[3]);
    cs(&v[0], &v[2]);
    cs(&v[1], &v[3]);
    cs(&v[1], &v[2]);
    const __m256d t0 = _mm256_unpacklo_pd(v[0], v[1]), t1 = _mm256_unpackhi_pd(v[0], v[1]);
    const __m256d t2 = _mm256_unpacklo_pd(v[2], v[3]), t3 = _mm256_unpackhi_pd(v[2], v[3]);
    v[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    v[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    v[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    v[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
    merge_vectors(&v[0], &v[1], 1);
    merge_vectors(&v[2], &v[3], 1);
    merge_vectors(&v[0], &v[2], 2);
}

/* Two sorted runs of four (one vector each): lo gets the four smallest, hi the four largest, both sorted. */
AVX2 static inline void merge4(__m256d *lo, __m256d *hi) {
    const __m256d r = reversed(*hi);
    const __m256d l = _mm256_min_pd(*lo, r), h = _mm256_max_pd(r, *lo);
    *lo = clean4(l);
    *hi = clean4(h);
}

/* Sorted x and y (each at least 8 items) merged into out, which overlaps neither: two chains, one from the fronts
 * and one from the backs, each merging four items at a time with the vector it holds (the bitonic merge kernel of
 * Inoue et al.: load four from the run whose next item is smaller; the lower half of the eight is final). A round
 * runs while each run has eight unread items, so neither chain can read what the other took. */
AVX2 static double *merge_chains(const double *x, size_t len_x, const double *y, size_t len_y, double *out,
                                 kll_leftover_t *rest) {
    const double *fx = x + 4, *fy = y + 4, *bx = x + len_x - 4, *by = y + len_y - 4;  /* next unread: fronts; backs */
    __m256d front_out = _mm256_loadu_pd(x), front = _mm256_loadu_pd(y);
    __m256d back = _mm256_loadu_pd(bx), back_out = _mm256_loadu_pd(by);
    merge4(&front_out, &front);
    merge4(&back, &back_out);
    double *f = out, *b = out + len_x + len_y - 4;
    _mm256_storeu_pd(f, front_out);
    _mm256_storeu_pd(b, back_out);
    f += 4;
    while (bx - fx >= 8 && by - fy >= 8) {
        const int front_x = *fx < *fy, back_x = !(bx[-1] < by[-1]);
        __m256d next_front = _mm256_loadu_pd(front_x ? fx : fy);
        __m256d next_back = _mm256_loadu_pd(back_x ? bx - 4 : by - 4);
        fx += front_x ? 4 : 0;
        fy += front_x ? 0 : 4;
        bx -= back_x ? 4 : 0;
        by -= back_x ? 0 : 4;
        merge4(&next_front, &front);
        merge4(&back, &next_back);
        _mm256_storeu_pd(f, next_front);
        b -= 4;
        _mm256_storeu_pd(b, next_back);
        f += 4;
    }
    rest->x = fx;
    rest->x_end = bx;
    rest->y = fy;
    rest->y_end = by;
    _mm256_storeu_pd(rest->held, front);
    _mm256_storeu_pd(rest->held + 4, back);
    return f;
}

/* Sixty-four items in v[0..16), sorted: two runs of 32, merged (the compiler keeps what it can in registers). */
AVX2 static inline void sort64_vectors(__m256d *v) {
    sort16_vectors(v);
    sort16_vectors(v + 4);
    merge_vectors(v, v + 4, 4);
    sort16_vectors(v + 8);
    sort16_vectors(v + 12);
    merge_vectors(v + 8, v + 12, 4);
    merge_vectors(v, v + 8, 8);
}

AVX2 static void sort_blocks_avx2(double *a, size_t n) {
    __m256d v[16];
    size_t start = 0;
    for (; start + KLL_SIMD_BLOCK <= n; start += KLL_SIMD_BLOCK) {
        for (int i = 0; i < 16; i++) v[i] = _mm256_loadu_pd(a + start + 4 * i);
        sort64_vectors(v);
        for (int i = 0; i < 16; i++) _mm256_storeu_pd(a + start + 4 * i, v[i]);
    }
    if (start < n) {  /* the last, short block padded with +inf, which sorts last: its first n - start are the block */
        double pad[KLL_SIMD_BLOCK];
        for (size_t i = 0; i < KLL_SIMD_BLOCK; i++) pad[i] = start + i < n ? a[start + i] : INFINITY;
        for (int i = 0; i < 16; i++) v[i] = _mm256_loadu_pd(pad + 4 * i);
        sort64_vectors(v);
        for (int i = 0; i < 16; i++) _mm256_storeu_pd(pad + 4 * i, v[i]);
        memcpy(a + start, pad, (n - start) * sizeof(double));
    }
}

/* CPUID says AVX2 and the OS saves the YMM registers (XGETBV). Asked directly rather than through
 * __builtin_cpu_supports, which needs the compiler's runtime library to have initialised its CPU model: zig's
 * compiler-rt, which builds the Lambda zip's modules, leaves it empty. */
static int cpu_has_avx2(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned int osxsave = 1u << 27, avx = 1u << 28;
    if ((c & (osxsave | avx)) != (osxsave | avx)) return 0;
    unsigned int xcr0_lo, xcr0_hi;
    __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 6u) != 6u) return 0;  /* XMM and YMM state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1u;
}

int kll_simd_active(void) {
    static int use_avx2 = -1;  /* a benign race: every thread computes the same answer */
    if (use_avx2 < 0) {
        const char *setting = getenv(KLL_SIMD_ENV);
        use_avx2 = cpu_has_avx2() && !(setting && strcmp(setting, "0") == 0) ? 1 : 0;
    }
    return use_avx2;
}

int kll_sort_blocks(double *a, size_t n) {
    if (!kll_simd_active()) return 0;
    sort_blocks_avx2(a, n);
    return 1;
}

double *kll_merge_chains(const double *x, size_t len_x, const double *y, size_t len_y, double *out,
                         kll_leftover_t *rest) {
    if (len_x < 8 || len_y < 8 || !kll_simd_active()) return NULL;
    return merge_chains(x, len_x, y, len_y, out, rest);
}

#else

int kll_simd_active(void) { return 0; }

double *kll_merge_chains(const double *x, size_t len_x, const double *y, size_t len_y, double *out,
                         kll_leftover_t *rest) {
    (void)x, (void)len_x, (void)y, (void)len_y, (void)out, (void)rest;
    return NULL;
}

int kll_sort_blocks(double *a, size_t n) {
    (void)a;
    (void)n;
    return 0;
}

#endif
