/* KLL sketch of doubles, ported from Apache DataSketches (datasketches-cpp kll/include/kll_sketch_impl.hpp and
 * kll_helper_impl.hpp: compress_while_updating, find_level_to_compact, add_empty_top_level_to_completely_full_sketch,
 * merge, merge_higher_levels, populate_work_arrays, general_compress, randomly_halve_up/down). Comments name the
 * DataSketches function each part follows. The random bit of a halving comes from a per-sketch splitmix64. */
#include "_kll_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const uint64_t POWERS_OF_THREE[31] = {
    1ULL, 3ULL, 9ULL, 27ULL, 81ULL, 243ULL, 729ULL, 2187ULL, 6561ULL, 19683ULL, 59049ULL, 177147ULL, 531441ULL,
    1594323ULL, 4782969ULL, 14348907ULL, 43046721ULL, 129140163ULL, 387420489ULL, 1162261467ULL, 3486784401ULL,
    10460353203ULL, 31381059609ULL, 94143178827ULL, 282429536481ULL, 847288609443ULL, 2541865828329ULL,
    7625597484987ULL, 22876792454961ULL, 68630377364883ULL, 205891132094649ULL};

/* kll_helper::int_cap_aux_aux: round(k * (2/3)**depth) in integers, depth <= 30. */
static uint32_t int_cap_aux_aux(uint64_t k, uint32_t depth) {
    const uint64_t tmp = ((k << 1) << depth) / POWERS_OF_THREE[depth];
    return (uint32_t)((tmp + 1) >> 1);
}

static uint32_t int_cap_aux(uint32_t k, uint32_t depth) {
    if (depth <= 30) return int_cap_aux_aux(k, depth);
    const uint32_t half = depth / 2;
    return int_cap_aux_aux(int_cap_aux_aux(k, half), depth - half);
}

/* kll_helper::level_capacity */
static uint32_t level_capacity(const kll_t *s, uint32_t num_levels, uint32_t height) {
    return s->caps[num_levels - height - 1];
}

uint32_t kll_total_capacity(const kll_t *s, uint32_t num_levels) {
    uint32_t total = 0;
    for (uint32_t d = 0; d < num_levels; d++) total += s->caps[d];
    return total;
}

/* kll_helper::ub_on_num_levels: 1 + floor(log2(n)), 1 for n = 0. */
uint32_t kll_ub_on_num_levels(uint64_t n) {
    uint32_t count = 1;
    while (n > 1) { n >>= 1; count++; }
    return count;
}

static int random_bit(kll_t *s) {
    if (s->nbits == 0) {  /* splitmix64 */
        uint64_t z = (s->rng += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        s->bits = z ^ (z >> 31);
        s->nbits = 64;
    }
    const int bit = (int)(s->bits & 1);
    s->bits >>= 1;
    s->nbits--;
    return bit;
}

/* kll_helper::merge_sorted_arrays in one buffer: a's run lies below c, which lies at or below b's run, and the
 * output never overtakes b. */
static void merge_in_place(double *buf, uint32_t a, uint32_t len_a, uint32_t b, uint32_t len_b, uint32_t c) {
    kll_merge_runs(buf + a, len_a, buf + b, len_b, buf + c);
}

/* kll_helper::randomly_halve_down / randomly_halve_up: keep the odd or the even items of a sorted run. */
static void halve_down(kll_t *s, double *buf, uint32_t start, uint32_t length) {
    uint32_t j = start + (uint32_t)random_bit(s);
    for (uint32_t i = start; i < start + length / 2; i++, j += 2) buf[i] = buf[j];
}

static void halve_up(kll_t *s, double *buf, uint32_t start, uint32_t length) {
    int64_t j = (int64_t)start + length - 1 - random_bit(s);
    for (int64_t i = (int64_t)start + length - 1; i >= (int64_t)(start + length / 2); i--, j -= 2) buf[i] = buf[j];
}

static int ensure_levels(kll_t *s, uint32_t needed) {
    if (s->levels_cap >= needed) return 0;
    uint32_t *grown = realloc(s->levels, needed * sizeof(uint32_t));
    if (!grown) return -1;
    memset(grown + s->levels_cap, 0, (needed - s->levels_cap) * sizeof(uint32_t));
    s->levels = grown;
    s->levels_cap = needed;
    return 0;
}

int kll_init(kll_t *s, uint32_t k, double c, uint64_t seed) {
    memset(s, 0, sizeof(*s));
    s->k = k;
    s->c = c;
    for (uint32_t d = 0; d <= KLL_MAX_DEPTH; d++) {
        /* DataSketches' 2/3 in its own integer arithmetic (bit-exact levels); any other c (Deequ's 0.64, which
         * SageMaker's analyzer writes) rounded in floating point: the same rule, round(k * c**depth). */
        const uint32_t cap = c == KLL_DATASKETCHES_C ? int_cap_aux(k, d) : (uint32_t)llround((double)k * pow(c, d));
        s->caps[d] = cap > KLL_M ? cap : KLL_M;
    }
    s->rng = seed;
    s->num_levels = 1;
    s->min = s->max = NAN;
    s->capacity = k;
    s->items = malloc(k * sizeof(double));
    if (!s->items || ensure_levels(s, 4) < 0) { kll_free(s); return -1; }
    s->levels[0] = s->levels[1] = k;
    return 0;
}

void kll_free(kll_t *s) {
    free(s->items);
    free(s->levels);
    s->items = NULL;
    s->levels = NULL;
    s->levels_cap = 0;
}

int kll_copy(kll_t *dst, const kll_t *src) {
    *dst = *src;
    dst->items = malloc(src->capacity * sizeof(double));
    dst->levels = malloc(src->levels_cap * sizeof(uint32_t));
    if (!dst->items || !dst->levels) { kll_free(dst); return -1; }
    memcpy(dst->items, src->items, src->capacity * sizeof(double));
    memcpy(dst->levels, src->levels, src->levels_cap * sizeof(uint32_t));
    return 0;
}

void kll_sort_level_zero(kll_t *s) {
    if (!s->level_zero_sorted) {
        kll_sort(s->items + s->levels[0], s->levels[1] - s->levels[0]);
        s->level_zero_sorted = 1;
    }
}

/* add_empty_top_level_to_completely_full_sketch: grow the buffer by the new bottom capacity, data shifted up. */
static int add_empty_top_level(kll_t *s) {
    if (s->num_levels > KLL_MAX_DEPTH) return -2;  /* DataSketches: invalid_argument("depth > 60") */
    const uint32_t delta = level_capacity(s, s->num_levels + 1, 0);
    const uint32_t total = s->capacity + delta;
    double *grown = malloc(total * sizeof(double));
    if (!grown || ensure_levels(s, s->num_levels + 3) < 0) { free(grown); return -1; }
    memcpy(grown + delta, s->items, s->capacity * sizeof(double));
    free(s->items);
    s->items = grown;
    s->capacity = total;
    for (uint32_t i = 0; i <= s->num_levels; i++) s->levels[i] += delta;
    s->levels[++s->num_levels] = total;
    return 0;
}

/* compress_while_updating: the buffer is full; compact the lowest level at capacity into the level above. */
static int compress_while_updating(kll_t *s) {
    uint32_t level = 0;
    while (s->levels[level + 1] - s->levels[level] < level_capacity(s, s->num_levels, level)) {
        if (++level == s->num_levels) return -2;  /* DataSketches: logic_error("capacity calculation error") */
    }
    if (level == s->num_levels - 1 && add_empty_top_level(s) < 0) return -1;
    double *items = s->items;
    const uint32_t raw_beg = s->levels[level], raw_lim = s->levels[level + 1];
    const uint32_t pop_above = s->levels[level + 2] - raw_lim, raw_pop = raw_lim - raw_beg;
    const int odd = raw_pop & 1;
    const uint32_t adj_beg = raw_beg + odd, adj_pop = raw_pop - odd, half = adj_pop / 2;
    if (level == 0 && !s->level_zero_sorted) kll_sort(items + adj_beg, adj_pop);
    if (pop_above == 0) {
        halve_up(s, items, adj_beg, adj_pop);
    } else {
        halve_down(s, items, adj_beg, adj_pop);
        merge_in_place(items, adj_beg, half, raw_lim, pop_above, adj_beg + half);
    }
    s->levels[level + 1] -= half;
    if (odd) {
        s->levels[level] = s->levels[level + 1] - 1;  /* the leftover item stays on this level */
        items[s->levels[level]] = items[raw_beg];
    } else {
        s->levels[level] = s->levels[level + 1];
    }
    if (level > 0) {  /* shift the levels below up, so level zero gets the freed space */
        const uint32_t from = s->levels[0];
        for (uint32_t i = raw_beg - from; i-- > 0;) items[from + half + i] = items[from + i];  /* short: no memmove */
        for (uint32_t lvl = 0; lvl < level; lvl++) s->levels[lvl] += half;
    }
    return 0;
}

/* The zero a single chain of min_d (or max_d) keeps: the first one it met, -0.0 or 0.0. */
static double first_zero(const double *x, size_t n, double before) {
    if (before == 0.0) return before;
    for (size_t j = 0; j < n; j++)
        if (x[j] == 0.0) return x[j];
    return before;
}

/* *lo and *hi folded over x (NaN never wins: min_d and max_d keep their second operand) exactly as one chain in
 * arrival order would, in four independent chains (one chain waits on each min's latency); the sign of a zero
 * bound is then the one chain's. */
static void fold_bounds(const double *x, size_t n, double *lo, double *hi) {
    double l[4] = {*lo, *lo, *lo, *lo}, h[4] = {*hi, *hi, *hi, *hi};
    size_t j = 0;
    for (; j + 4 <= n; j += 4)
        for (int k = 0; k < 4; k++) {
            l[k] = min_d(x[j + k], l[k]);
            h[k] = max_d(x[j + k], h[k]);
        }
    for (; j < n; j++) {
        l[0] = min_d(x[j], l[0]);
        h[0] = max_d(x[j], h[0]);
    }
    const double new_lo = min_d(min_d(l[0], l[1]), min_d(l[2], l[3]));
    const double new_hi = max_d(max_d(h[0], h[1]), max_d(h[2], h[3]));
    *lo = new_lo == 0.0 ? first_zero(x, n, *lo) : new_lo;
    *hi = new_hi == 0.0 ? first_zero(x, n, *hi) : new_hi;
}

int kll_update(kll_t *s, const double *values, size_t len) {
    if ((uint64_t)len > UINT64_MAX - s->n) return KLL_COUNT_OVERFLOW;  /* checked before any change */
    double lo = s->n ? s->min : INFINITY, hi = s->n ? s->max : -INFINITY;
    size_t i = 0;
    int rc = 0;
    for (;;) {
        while (i < len && isnan(values[i])) i++;
        if (i == len) break;
        if (s->levels[0] == 0 && (rc = compress_while_updating(s)) < 0) break;
        double *items = s->items;
        const uint32_t free_before = s->levels[0];
        uint32_t pos = free_before;
        while (pos > 0 && i < len) {  /* the hot loop: fill the free space at the front, NaN skipped */
            const size_t take = len - i < pos ? len - i : pos;
            const double *from = values + i;
            uint32_t at = pos;
            for (size_t j = 0; j < take; j++) {  /* branch-free: a NaN is written, then overwritten */
                const double v = from[j];
                items[at - 1] = v;
                at -= (uint32_t)(v == v);
            }
            fold_bounds(from, take, &lo, &hi);
            i += take;
            pos = at;
        }
        s->n += free_before - pos;
        s->levels[0] = pos;
        s->level_zero_sorted = 0;
    }
    if (s->n) { s->min = lo; s->max = hi; }
    return rc;
}

/* kll_helper::general_compress: compact, bottom up, every level at capacity while the sketch is over capacity. */
static uint32_t general_compress(kll_t *s, uint32_t num_levels_in, double *items, uint32_t *in_levels,
                                 uint32_t *out_levels, int level_zero_sorted, uint32_t max_levels,
                                 uint32_t *final_items) {
    uint32_t num_levels = num_levels_in, count = in_levels[num_levels_in] - in_levels[0];
    uint32_t target = kll_total_capacity(s, num_levels);
    out_levels[0] = 0;
    for (uint32_t level = 0;; level++) {
        if (level == num_levels - 1) in_levels[level + 2] = in_levels[level + 1];
        const uint32_t raw_beg = in_levels[level], raw_lim = in_levels[level + 1], raw_pop = raw_lim - raw_beg;
        if (count < target || raw_pop < level_capacity(s, num_levels, level)) {
            memmove(items + out_levels[level], items + raw_beg, raw_pop * sizeof(double));
            out_levels[level + 1] = out_levels[level] + raw_pop;
        } else {
            const uint32_t pop_above = in_levels[level + 2] - raw_lim;
            const int odd = raw_pop & 1;
            const uint32_t adj_beg = raw_beg + odd, adj_pop = raw_pop - odd, half = adj_pop / 2;
            if (odd) items[out_levels[level]] = items[raw_beg];
            out_levels[level + 1] = out_levels[level] + (uint32_t)odd;
            if (level == 0 && !level_zero_sorted) kll_sort(items + adj_beg, adj_pop);
            if (pop_above == 0) {
                halve_up(s, items, adj_beg, adj_pop);
            } else {
                halve_down(s, items, adj_beg, adj_pop);
                merge_in_place(items, adj_beg, half, raw_lim, pop_above, adj_beg + half);
            }
            count -= half;
            in_levels[level + 1] -= half;
            if (level == num_levels - 1) {
                if (++num_levels > max_levels) return 0;  /* cannot happen (DataSketches' bound); memory-safe */
                target += level_capacity(s, num_levels, 0);
            }
        }
        if (level == num_levels - 1) break;
    }
    *final_items = count;
    return num_levels;
}

static uint32_t level_size(const kll_t *s, uint32_t level) {
    return level < s->num_levels ? s->levels[level + 1] - s->levels[level] : 0;
}

/* merge_higher_levels + populate_work_arrays: level-wise union of both sketches, then general compression. */
static int merge_higher_levels(kll_t *s, const kll_t *o, uint64_t final_n) {
    const uint32_t tmp_items = (s->levels[s->num_levels] - s->levels[0]) + (o->levels[o->num_levels] - o->levels[1]);
    const uint32_t provisional = s->num_levels > o->num_levels ? s->num_levels : o->num_levels;
    const uint32_t ub_n = kll_ub_on_num_levels(final_n), ub = ub_n <= KLL_MAX_DEPTH + 1 ? ub_n : KLL_MAX_DEPTH + 1;
    const uint32_t work_size = (ub > provisional ? ub : provisional) + 3;
    double *work = malloc((tmp_items ? tmp_items : 1) * sizeof(double));
    uint32_t *in_levels = calloc(work_size, sizeof(uint32_t)), *out_levels = calloc(work_size, sizeof(uint32_t));
    double *items = NULL;
    int rc = -1;
    if (!work || !in_levels || !out_levels || ensure_levels(s, work_size) < 0) goto done;
    memcpy(work, s->items + s->levels[0], level_size(s, 0) * sizeof(double));
    in_levels[1] = level_size(s, 0);
    for (uint32_t lvl = 1; lvl < provisional; lvl++) {
        const uint32_t self_pop = level_size(s, lvl), other_pop = level_size(o, lvl);
        kll_merge_runs(s->items + (self_pop ? s->levels[lvl] : 0), self_pop,
                  o->items + (other_pop ? o->levels[lvl] : 0), other_pop, work + in_levels[lvl]);
        in_levels[lvl + 1] = in_levels[lvl] + self_pop + other_pop;
    }
    uint32_t final_items;
    const uint32_t final_levels = general_compress(s, provisional, work, in_levels, out_levels,
                                                   s->level_zero_sorted, ub, &final_items);
    if (final_levels == 0) { rc = -2; goto done; }  /* DataSketches: logic_error("merge error") */
    const uint32_t capacity = kll_total_capacity(s, final_levels), free_space = capacity - final_items;
    if (!(items = malloc(capacity * sizeof(double)))) goto done;
    memcpy(items + free_space, work + out_levels[0], final_items * sizeof(double));
    free(s->items);
    s->items = items;
    s->capacity = capacity;
    for (uint32_t lvl = 0; lvl <= final_levels; lvl++) s->levels[lvl] = out_levels[lvl] - out_levels[0] + free_space;
    s->num_levels = final_levels;
    rc = 0;
done:
    free(work);
    free(in_levels);
    free(out_levels);
    return rc;
}

/* kll_sketch::merge: other's level zero goes in as updates, the higher levels through general compression. */
int kll_merge(kll_t *s, const kll_t *o) {
    if (o->n == 0) return 0;
    if (o->n > UINT64_MAX - s->n) return KLL_COUNT_OVERFLOW;
    const uint64_t final_n = s->n + o->n;
    const double lo = s->n && s->min <= o->min ? s->min : o->min, hi = s->n && s->max >= o->max ? s->max : o->max;
    int rc = kll_update(s, o->items + o->levels[0], o->levels[1] - o->levels[0]);
    if (rc == 0 && o->num_levels >= 2) rc = merge_higher_levels(s, o, final_n);
    if (rc < 0) return rc;
    s->n = final_n;
    s->min = lo;
    s->max = hi;
    return 0;
}

int kll_set_levels(kll_t *s, uint32_t num_levels, const uint32_t *sizes, const double *items, uint64_t n,
                   double min, double max) {
    uint32_t retained = 0;
    for (uint32_t h = 0; h < num_levels; h++) retained += sizes[h];
    const uint32_t capacity = kll_total_capacity(s, num_levels);
    double *buf = malloc(capacity * sizeof(double));
    if (!buf || ensure_levels(s, num_levels + 2) < 0) { free(buf); return -1; }
    memcpy(buf + capacity - retained, items, retained * sizeof(double));
    free(s->items);
    s->items = buf;
    s->capacity = capacity;
    s->num_levels = num_levels;
    s->levels[0] = capacity - retained;
    for (uint32_t h = 0; h < num_levels; h++) s->levels[h + 1] = s->levels[h] + sizes[h];
    s->n = n;
    s->min = min;
    s->max = max;
    s->level_zero_sorted = 0;
    return 0;
}

/* quantiles_sorted_view's layout: every retained item ascending with the cumulative weight up to it (level h
 * weighs 2**h), ties in level order as a stable sort of the levels laid end to end gives them. Level zero must be
 * sorted (kll_sort_level_zero). items and cumulative hold the retained count; returns -1 when memory ran out. */
int kll_sorted_view(const kll_t *s, double *items, uint64_t *cumulative) {
    const uint32_t retained = s->levels[s->num_levels] - s->levels[0];
    double *other_items = malloc((retained ? retained : 1) * sizeof(double));
    uint64_t *other_weights = malloc((retained ? retained : 1) * sizeof(uint64_t));
    if (other_items == NULL || other_weights == NULL) {
        free(other_items);
        free(other_weights);
        return -1;
    }
    double *run = items, *into = other_items;
    uint64_t *run_w = cumulative, *into_w = other_weights;
    uint32_t len = level_size(s, 0);
    memcpy(run, s->items + s->levels[0], len * sizeof(double));
    for (uint32_t i = 0; i < len; i++) run_w[i] = 1;
    for (uint32_t h = 1; h < s->num_levels; h++) {  /* merge level h in; ties: the lower levels first */
        const double *level = s->items + s->levels[h];
        const uint32_t size = level_size(s, h);
        const uint64_t weight = (uint64_t)1 << h;
        uint32_t a = 0, b = 0, o = 0;
        while (a < len && b < size) {
            if (level[b] < run[a]) { into[o] = level[b++]; into_w[o++] = weight; }
            else { into[o] = run[a]; into_w[o++] = run_w[a++]; }
        }
        for (; a < len; a++, o++) { into[o] = run[a]; into_w[o] = run_w[a]; }
        for (; b < size; b++, o++) { into[o] = level[b]; into_w[o] = weight; }
        double *t = run; run = into; into = t;
        uint64_t *tw = run_w; run_w = into_w; into_w = tw;
        len = o;
    }
    if (run != items) {
        memcpy(items, run, len * sizeof(double));
        memcpy(cumulative, run_w, len * sizeof(uint64_t));
    }
    for (uint32_t i = 1; i < len; i++) cumulative[i] += cumulative[i - 1];
    free(other_items);
    free(other_weights);
    return 0;
}
