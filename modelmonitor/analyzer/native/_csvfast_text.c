/* See _csvfast_text.h. Open addressing with linear probing on an FNV-1a hash; the table is kept at most half full,
 * so probes stay short, and doubles (rehashing its entries) when a text would fill it past that. */
#include "_csvfast_text.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_SLOTS 16

static int take(size_t *budget, size_t bytes) {
    if (bytes > *budget) return -1;
    *budget -= bytes;
    return 0;
}

int text_counter_init(TextCounter *counter, Py_ssize_t limit, size_t *budget) {
    counter->slots = NULL;
    counter->mask = 0;
    counter->distinct = 0;
    counter->limit = limit;
    counter->overflow = 0;
    counter->budget = budget;
    if (take(budget, INITIAL_SLOTS * sizeof(TextSlot)) < 0) return -1;
    counter->slots = calloc(INITIAL_SLOTS, sizeof(TextSlot));
    counter->mask = INITIAL_SLOTS - 1;
    return counter->slots == NULL ? -1 : 0;
}

static int grow(TextCounter *counter) {
    size_t old_slots = counter->mask + 1, slots = 2 * old_slots;
    if (take(counter->budget, old_slots * sizeof(TextSlot)) < 0) return -1; /* the new table less the old one */
    TextSlot *table = calloc(slots, sizeof(TextSlot));
    if (table == NULL) return -1;
    for (size_t i = 0; i < old_slots; i++) {
        const TextSlot *entry = &counter->slots[i];
        if (entry->count == 0) continue;
        size_t slot = (size_t)entry->hash & (slots - 1);
        while (table[slot].count != 0) slot = (slot + 1) & (slots - 1);
        table[slot] = *entry;
    }
    free(counter->slots);
    counter->slots = table;
    counter->mask = slots - 1;
    return 0;
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
            if (2 * (size_t)(counter->distinct + 1) > counter->mask + 1) {
                if (grow(counter) < 0) {
                    counter->overflow = 1;
                    return;
                }
                slot = (size_t)hash & counter->mask;
                while (counter->slots[slot].count != 0) slot = (slot + 1) & counter->mask;
                entry = &counter->slots[slot];
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
    if (counter->slots != NULL) *counter->budget += (counter->mask + 1) * sizeof(TextSlot);
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
