/* The analyzer's hot path in C: plain CSV blocks -> typed float64 columns and counted texts (this file), plus the
 * numeric kernels (_csvfast_kernels.c) and the text counter (_csvfast_text.c) of the same `_csvfast` module.
 *
 * parse_block types every field the way `typed_chunk.classify` does (SageMaker's Integral / Fractional / missing),
 * for the spellings it accepts: an empty field is missing; [+-]?(digits[.digits*]|.digits)([eE][+-]?digits)? is a
 * number, Integral when written without '.' or exponent; [+-]?(nan|inf|infinity) in any case is missing (SageMaker
 * counts non-finite numbers as missing), as is a number too large for a double. Any other field makes its column a
 * "text" column: its texts are counted here when it holds no number, else the caller reads it with Arrow's reader
 * and the reference typing. Values are correctly rounded: Clinger's exact fast path, otherwise the C library's
 * strtod in the "C" locale.
 *
 * Every function releases the GIL while it works, so pool threads parse blocks while the lanes add up earlier
 * ones. */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_csvfast_kernels.h"
#include "_csvfast_text.h"

enum { KIND_NUMERIC = 0, KIND_TEXT = 1 };
enum { FIELD_MISSING = 0, FIELD_INTEGRAL = 1, FIELD_FRACTIONAL = 2, FIELD_TEXT = 3 };

#define MAX_FAST_DIGITS 19
#define CANONICAL_MAX_DIGITS 15 /* |value| < 1e15 < 2**53: its text is str(int(value)) */

static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static locale_t c_locale;

enum { TEXTS_NONE = 0, TEXTS_COUNTED = 1, TEXTS_TO_ARROW = 2 };

typedef struct {
    Py_ssize_t n_finite, n_missing, n_integral, n_fractional;
    int kind;
    int int64_exact; /* every present value is an integer literal within int64's range */
    int canonical;   /* every present value is written as str(int(value)) would write it */
    int texts_mode;  /* a text column: its texts counted here, or left to Arrow (numbers among them, too many) */
    TextCounter texts;
} ColumnState;

static int is_digit(char c) { return (unsigned char)(c - '0') < 10; }

static int ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

static int matches_word(const char *p, Py_ssize_t len, const char *word) {
    Py_ssize_t n = (Py_ssize_t)strlen(word);
    if (len != n) return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (ascii_lower(p[i]) != word[i]) return 0;
    return 1;
}

static double slow_value(const char *p, Py_ssize_t len) {
    char local[128];
    char *text = len < (Py_ssize_t)sizeof(local) ? local : malloc((size_t)len + 1);
    if (text == NULL) return NAN; /* counted as missing; cannot happen for sane field lengths */
    memcpy(text, p, (size_t)len);
    text[len] = '\0';
    double value = strtod_l(text, NULL, c_locale);
    if (text != local) free(text);
    return value;
}

static const char *next_comma(const char *s, const char *limit) {
    const char *comma = memchr(s, ',', (size_t)(limit - s));
    return comma == NULL ? limit : comma;
}

static const uint64_t POW10_U64[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

/* The value of 8 ASCII digits in one word, the first digit in the lowest byte (zero bytes count as leading zeros):
 * three multiplications instead of eight (the SWAR method of simdjson and fast_float). */
static inline uint64_t eight_digits(uint64_t word) {
    word = ((word & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561) >> 8;
    word = ((word & UINT64_C(0x00FF00FF00FF00FF)) * 6553601) >> 16;
    return ((word & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001)) >> 32;
}

/* Reads the run of digits at s (up to `limit`) into *mantissa while *count stays within MAX_FAST_DIGITS (beyond,
 * the caller asks strtod); adds the run's length to *count and returns where the run ends. Eight bytes at a time:
 * a byte is a digit when it is neither above '9' (or non-ASCII) nor below '0', tested without carries between
 * bytes. */
static inline const char *read_digits(const char *s, const char *limit, uint64_t *mantissa, Py_ssize_t *count) {
    while (limit - s >= 8) {
        uint64_t word;
        memcpy(&word, s, sizeof(word));
        uint64_t low7 = word & UINT64_C(0x7F7F7F7F7F7F7F7F);
        uint64_t above_nine = ((low7 + UINT64_C(0x4646464646464646)) | word) & UINT64_C(0x8080808080808080);
        uint64_t below_zero = ~(low7 + UINT64_C(0x5050505050505050)) & UINT64_C(0x8080808080808080);
        uint64_t stops = above_nine | below_zero;
        int run = stops ? __builtin_ctzll(stops) >> 3 : 8;
        if (run > 0) {
            if (*count + run <= MAX_FAST_DIGITS)
                *mantissa = *mantissa * POW10_U64[run] + eight_digits(run == 8 ? word : word << (8 * (8 - run)));
            *count += run;
            s += run;
        }
        if (run < 8) return s;
    }
    while (s < limit && is_digit(*s)) {
        if (*count < MAX_FAST_DIGITS) *mantissa = *mantissa * 10 + (uint64_t)(*s - '0');
        (*count)++;
        s++;
    }
    return s;
}

/* Types the field that starts at p and ends at the next comma or at `limit` (the line's end), where *field_end is
 * set; on a number stores its value. One pass: the number is read while the field's end is looked for. Inlined in
 * the parser's loop (a call per field, saving six registers each time, cost about 3 % of a numeric block's
 * parse). */
static inline __attribute__((always_inline)) int type_field(const char *p, const char *limit, const char **field_end,
                                                           double *value, int *canonical, int *in_int64) {
    const char *s = p, *end;
    *field_end = p;
    if (p == limit || *p == ',') return FIELD_MISSING;
    int negative = 0;
    if (*s == '+' || *s == '-') {
        negative = *s == '-';
        s++;
    }
    const char *digits_start = s;
    uint64_t mantissa = 0;
    /* Digit counts and the exponent are as wide as the field's length: a field of 2**31 digits is valid input. */
    Py_ssize_t digits = 0, exponent = 0;
    int fractional = 0;
    s = read_digits(s, limit, &mantissa, &digits);
    Py_ssize_t n_int_digits = digits;
    if (s < limit && *s == '.') {
        fractional = 1;
        s = read_digits(s + 1, limit, &mantissa, &digits);
        exponent = -(digits - n_int_digits);
    }
    Py_ssize_t n_frac_digits = digits - n_int_digits;
    if (n_int_digits + n_frac_digits == 0) {
        *field_end = end = next_comma(s, limit);
        Py_ssize_t rest = end - digits_start;
        if (matches_word(digits_start, rest, "nan") || matches_word(digits_start, rest, "inf")
            || matches_word(digits_start, rest, "infinity")) {
            *in_int64 = 0;
            return FIELD_MISSING;
        }
        return FIELD_TEXT;
    }
    if (s < limit && (*s == 'e' || *s == 'E')) {
        fractional = 1;
        s++;
        int exp_negative = 0;
        if (s < limit && (*s == '+' || *s == '-')) {
            exp_negative = *s == '-';
            s++;
        }
        if (s == limit || !is_digit(*s)) {
            *field_end = next_comma(s, limit);
            return FIELD_TEXT;
        }
        Py_ssize_t written = 0;
        while (s < limit && is_digit(*s)) {
            if (written < 100000) written = written * 10 + (*s - '0');
            s++;
        }
        exponent += exp_negative ? -written : written;
    }
    if (s != limit && *s != ',') {
        *field_end = next_comma(s, limit);
        return FIELD_TEXT;
    }
    *field_end = end = s;
    double v;
    if (digits <= MAX_FAST_DIGITS && mantissa <= (UINT64_C(1) << 53) && exponent >= -22 && exponent <= 22) {
        v = (double)mantissa;
        v = exponent < 0 ? v / POW10[-exponent] : v * POW10[exponent];
        if (negative) v = -v;
    } else {
        v = slow_value(p, end - p);
    }
    if (!isfinite(v)) {
        *in_int64 = 0; /* the reference typing parses a chunk as int64 only when every value is an integer */
        return FIELD_MISSING;
    }
    *value = v;
    if (fractional) {
        *canonical = 0;
        return FIELD_FRACTIONAL;
    }
    /* An integer literal: canonical when it has no '+', no leading zero, is not "-0" and is short enough. */
    if (p[0] == '+' || (n_int_digits > 1 && digits_start[0] == '0') || n_int_digits > CANONICAL_MAX_DIGITS
        || (negative && mantissa == 0))
        *canonical = 0;
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) *in_int64 = 0;
    return FIELD_INTEGRAL;
}

/* A field of a text column: missing values are counted, texts counted by value; a number (or no memory) hands the
 * column to Arrow, whose typing keeps the numbers' order. */
static void add_text_field(ColumnState *col, const char *field, const char *limit, const char **field_end,
                           Py_ssize_t text_limit, size_t *budget, int kind) {
    if (col->texts_mode == TEXTS_NONE) {
        col->texts_mode = col->n_finite == 0 && text_counter_init(&col->texts, text_limit, budget) == 0
                              ? TEXTS_COUNTED
                              : TEXTS_TO_ARROW;
    }
    if (col->texts_mode != TEXTS_COUNTED) return;
    if (kind < 0) {
        double v;
        int ignored_canonical = 0, ignored_int64 = 0;
        kind = type_field(field, limit, field_end, &v, &ignored_canonical, &ignored_int64);
    }
    if (kind == FIELD_MISSING) {
        col->n_missing++;
    } else if (kind == FIELD_TEXT) {
        text_counter_add(&col->texts, field, (size_t)(*field_end - field));
        if (col->texts.overflow) col->texts_mode = TEXTS_TO_ARROW;
    } else {
        col->texts_mode = TEXTS_TO_ARROW;
    }
    if (col->texts_mode == TEXTS_TO_ARROW) text_counter_free(&col->texts); /* its memory to the other columns */
}

/* parse_block(block, width, out, skip_ragged, text_limit, text_budget) -> (rows, ragged, [column tuples], lines),
 * None, False or True.
 * out: a writable float64 buffer of width * capacity values; column c's finite values go to out[c*capacity ...]
 * in order; True when the block has more rows than capacity (nothing else is returned then). A row whose field
 * count is not `width` is skipped and counted when skip_ragged, otherwise the whole block is refused (None). Empty
 * lines are skipped; `lines` counts every line (a last one without newline too). False when a quote or a carriage
 * return is in the block: it is not plain CSV (the caller's list path reads it); the bytes are checked in the pass
 * that counts a row's commas, so a plain block is read once.
 * A numeric column gives (finite values, missing, Integral, Fractional, int64-exact, canonical); a text column
 * (missing, [(text, count), ...]) when it holds no number and at most text_limit distinct texts, else None.
 * text_budget: bytes that the text columns' tables may take together; a column whose table would pass it is left
 * to Arrow (None), as one with too many distinct texts is. */
static PyObject *parse_block(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer block, out;
    Py_ssize_t width;
    Py_ssize_t text_limit, text_budget;
    int skip_ragged;
    if (!PyArg_ParseTuple(args, "y*nw*pnn", &block, &width, &out, &skip_ragged, &text_limit, &text_budget))
        return NULL;
    PyObject *result = NULL;
    ColumnState *cols = NULL;
    /* Checked before any arithmetic on them: 8 * width must not wrap, the text table's size must not either. */
    if (width < 1 || width > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(double)) {
        PyErr_Format(PyExc_ValueError, "width must be in [1, %zd], not %zd",
                     PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(double), width);
        goto done;
    }
    if (text_limit < 0 || text_limit > TEXT_LIMIT_MAX) {
        PyErr_Format(PyExc_ValueError, "text_limit must be in [0, %zd], not %zd", TEXT_LIMIT_MAX, text_limit);
        goto done;
    }
    if (text_budget < 0) {
        PyErr_Format(PyExc_ValueError, "text_budget must be >= 0, not %zd", text_budget);
        goto done;
    }
    if (out.len % (Py_ssize_t)(sizeof(double) * (size_t)width) != 0) {
        PyErr_SetString(PyExc_ValueError, "out must hold width * capacity float64 values");
        goto done;
    }
    size_t budget = (size_t)text_budget;
    Py_ssize_t capacity = out.len / (Py_ssize_t)sizeof(double) / width;
    cols = calloc((size_t)width, sizeof(ColumnState));
    if (cols == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t c = 0; c < width; c++) cols[c].int64_exact = cols[c].canonical = 1;
    double *values = out.buf;
    const char *p = block.buf, *end = p + block.len;
    Py_ssize_t rows = 0, ragged = 0, lines = 0;
    int refused = 0, overflow = 0, quoted = 0;
    Py_BEGIN_ALLOW_THREADS
    while (p < end) {
        const char *line_end = memchr(p, '\n', (size_t)(end - p));
        if (line_end == NULL) line_end = end;
        lines++;
        if (line_end == p) {
            p = line_end + 1;
            continue;
        }
        /* Field count first: a ragged row must leave no trace in any column. */
        Py_ssize_t commas = 0;
        unsigned char marks = 0;
        for (const char *q = p; q < line_end;) {  /* in byte counters, 255 bytes at a time: 16 bytes a step */
            const char *stop = line_end - q > 255 ? q + 255 : line_end;
            unsigned char partial = 0;
            for (; q < stop; q++) {
                partial += *q == ',';
                marks |= (*q == '"') | (*q == '\r');
            }
            commas += partial;
        }
        if (marks) {
            quoted = 1;
            break;
        }
        if (commas != width - 1) {
            if (!skip_ragged) {
                refused = 1;
                break;
            }
            ragged++;
            p = line_end + 1;
            continue;
        }
        if (rows == capacity) {
            overflow = 1;
            break;
        }
        const char *field = p;
        for (Py_ssize_t c = 0; c < width; c++) {
            const char *field_end;
            ColumnState *col = &cols[c];
            if (col->kind == KIND_TEXT) {
                if (col->texts_mode == TEXTS_COUNTED)
                    add_text_field(col, field, line_end, &field_end, text_limit, &budget, -1);
                else field_end = next_comma(field, line_end);
            } else {
                double v = 0.0;
                int kind = type_field(field, line_end, &field_end, &v, &col->canonical, &col->int64_exact);
                if (kind == FIELD_TEXT) {
                    col->kind = KIND_TEXT;
                    add_text_field(col, field, line_end, &field_end, text_limit, &budget, kind);
                } else if (kind == FIELD_MISSING) {
                    col->n_missing++;
                } else {
                    values[c * capacity + col->n_finite++] = v;
                    if (kind == FIELD_INTEGRAL) col->n_integral++;
                    else col->n_fractional++;
                }
            }
            field = field_end + 1;
        }
        rows++;
        p = line_end + 1;
    }
    Py_END_ALLOW_THREADS
    if (quoted) {
        result = Py_NewRef(Py_False);
        goto done;
    }
    if (overflow) {
        result = Py_NewRef(Py_True);
        goto done;
    }
    if (refused) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    PyObject *columns = PyList_New(width);
    if (columns == NULL) goto done;
    for (Py_ssize_t c = 0; c < width; c++) {
        ColumnState *col = &cols[c];
        int exact = col->n_fractional == 0 && col->int64_exact;
        PyObject *item;
        if (col->kind != KIND_TEXT) {
            item = Py_BuildValue("(nnnnii)", col->n_finite, col->n_missing, col->n_integral, col->n_fractional, exact,
                                 col->n_fractional == 0 && col->canonical);
        } else if (col->texts_mode == TEXTS_COUNTED) {
            item = Py_BuildValue("(nN)", col->n_missing, text_counter_items(&col->texts));
        } else {
            item = Py_NewRef(Py_None);
        }
        if (item == NULL) {
            Py_DECREF(columns);
            goto done;
        }
        PyList_SET_ITEM(columns, c, item);
    }
    result = Py_BuildValue("(nnNn)", rows, ragged, columns, lines);
done:
    if (cols != NULL)
        for (Py_ssize_t c = 0; c < width; c++)
            if (cols[c].texts_mode != TEXTS_NONE) text_counter_free(&cols[c].texts);
    free(cols);
    PyBuffer_Release(&block);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"moments", csvfast_moments, METH_O, "(sum, mean, m2, min, max) of finite float64 values."},
    {"count_newlines", csvfast_count_newlines, METH_O, "bytes.count(b'\\n') without the GIL."},
    {"scan_block", csvfast_scan_block, METH_O, "(newlines, whether a quote or carriage return is in the bytes)."},
    {"more_distinct_than", csvfast_more_distinct_than, METH_VARARGS, "Whether values hold more than limit distinct numbers."},
    {"parse_block", parse_block, METH_VARARGS, "Plain CSV block -> typed float64 columns (see module source)."},
    {"bin_counts", csvfast_bin_counts, METH_VARARGS, "Add counts of values on fixed bins."},
    {"report_shrinking", csvfast_report_shrinking, METH_O,
     "report_shrinking(path): a SIGBUS (pages of a mapped file lost) ends the process with exit 2 naming path."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_csvfast", "The analyzer's C hot path.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__csvfast(void) {
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (c_locale == (locale_t)0) return PyErr_NoMemory();
    return PyModule_Create(&module);
}
