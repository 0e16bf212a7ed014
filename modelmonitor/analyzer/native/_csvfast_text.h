/* Distinct texts of one column of a block and their counts, for category counts without a string per value. The
 * texts stay in the block (pointer and length); a column with more than `limit` distinct texts overflows and is
 * read by Arrow instead. */
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
} TextCounter;

/* Both callable without the GIL. init returns -1 when memory ran out. */
int text_counter_init(TextCounter *counter, Py_ssize_t limit);
void text_counter_add(TextCounter *counter, const char *text, size_t len);
void text_counter_free(TextCounter *counter);
/* [(bytes, count), ...] in no particular order; needs the GIL. */
PyObject *text_counter_items(const TextCounter *counter);

#endif
