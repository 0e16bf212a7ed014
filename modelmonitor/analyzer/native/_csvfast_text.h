/* Distinct texts of one column of a block and their counts, for category counts without a string per value. The
 * texts stay in the block (pointer and length); a column with more than `limit` distinct texts overflows and is
 * read by Arrow instead. The table starts small and doubles as texts arrive, drawing its memory from a budget that
 * all the columns of one block share: a block of many text columns, or of many distinct texts, overflows columns
 * to Arrow instead of growing past it (a table sized for `limit` up front cost 1 MiB per text column per block). */
#ifndef MODELMONITOR_CSVFAST_TEXT_H
#define MODELMONITOR_CSVFAST_TEXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

typedef struct {
    const char *text;
    size_t len;
    uint64_t hash;
    Py_ssize_t count; /* 0: empty slot */
} TextSlot;

typedef struct {
    TextSlot *slots;
    size_t mask;
    Py_ssize_t distinct, limit;
    int overflow;
    size_t *budget; /* bytes the block's tables may still take; shared by its columns */
} TextCounter;

/* Largest `limit` accepted: its table (twice the limit, in slots) must fit a size_t many times over. */
#define TEXT_LIMIT_MAX ((Py_ssize_t)1 << 30)

/* All callable without the GIL. init returns -1 when the budget or memory ran out; add sets `overflow` when the
 * column has more than `limit` distinct texts or its table cannot grow (budget, memory). */
int text_counter_init(TextCounter *counter, Py_ssize_t limit, size_t *budget);
void text_counter_add(TextCounter *counter, const char *text, size_t len);
/* Frees the table and gives its bytes back to the budget; safe to call twice. */
void text_counter_free(TextCounter *counter);
/* [(bytes, count), ...] in no particular order; needs the GIL. */
PyObject *text_counter_items(const TextCounter *counter);

#endif
