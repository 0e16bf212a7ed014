/* See _csvfast_text.h. Open addressing with linear probing on an FNV-1a hash; the table holds at least twice the
 * limit, so probes stay short. */
#include "_csvfast_text.h"

#include <stdlib.h>
#include <string.h>

int text_counter_init(TextCounter *counter, Py_ssize_t limit) {
    size_t slots = 16;
    while (slots < 2 * (size_t)(limit + 1)) slots *= 2;
    counter->slots = calloc(slots, sizeof(TextSlot));
    counter->mask = slots - 1;
    counter->distinct = 0;
    counter->limit = limit;
    counter->overflow = 0;
    return counter->slots == NULL ? -1 : 0;
}

void text_counter_add(TextCounter *counter, const char *text, size_t len) {
    if (counter->overflow) return;
    uint64_t hash = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < len; i++) hash = (hash ^ (unsigned char)text[i]) * UINT64_C(1099511628211);
    size_t slot = (size_t)hash & counter->mask;
    for (;;) {
        TextSlot *entry = &counter->slots[slot];
        if (entry->count == 0) {
            if (counter->distinct == counter->limit) {
                counter->overflow = 1;
                return;
            }
            entry->text = text;
            entry->len = len;
            entry->hash = hash;
            entry->count = 1;
            counter->distinct++;
            return;
        }
        if (entry->hash == hash && entry->len == len && memcmp(entry->text, text, len) == 0) {
            entry->count++;
            return;
        }
        slot = (slot + 1) & counter->mask;
    }
}

void text_counter_free(TextCounter *counter) {
    free(counter->slots);
    counter->slots = NULL;
}

PyObject *text_counter_items(const TextCounter *counter) {
    PyObject *items = PyList_New(counter->distinct);
    if (items == NULL) return NULL;
    Py_ssize_t next = 0;
    for (size_t slot = 0; slot <= counter->mask; slot++) {
        const TextSlot *entry = &counter->slots[slot];
        if (entry->count == 0) continue;
        PyObject *pair = Py_BuildValue("(y#n)", entry->text, (Py_ssize_t)entry->len, entry->count);
        if (pair == NULL) {
            Py_DECREF(items);
            return NULL;
        }
        PyList_SET_ITEM(items, next++, pair);
    }
    return items;
}
