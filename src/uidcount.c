// SPDX-License-Identifier: MIT
/* uidcount: connections per uid in an open-addressing hash table (see uidcount.h). */
#include <errno.h>
#include <stdlib.h>

#include "udsecho/uidcount.h"

static size_t slot_of(uint64_t key, size_t cap)
{
	/* Fibonacci hashing: consecutive uids spread over the table, whatever the high half. */
	return (size_t)(((key ^ key >> 32) * 0x9E3779B97F4A7C15ULL) >> 32) & (cap - 1);
}

static struct uidcount_slot *find(const struct uidcount *t, uint64_t key)
{
	if (!t->cap)
		return NULL;
	for (size_t i = slot_of(key, t->cap);; i = (i + 1) & (t->cap - 1)) {
		struct uidcount_slot *s = &t->slots[i];
		if (!s->count)
			return NULL;
		if (s->key == key)
			return s;
	}
}

struct uidcount_slot *uidcount_find(struct uidcount *t, uint64_t key)
{
	return find(t, key);
}

uint32_t uidcount_get(const struct uidcount *t, uint64_t key)
{
	const struct uidcount_slot *s = find(t, key);

	return s ? s->count : 0;
}

static void insert(struct uidcount_slot *slots, size_t cap, const struct uidcount_slot *s)
{
	size_t i = slot_of(s->key, cap);

	while (slots[i].count)
		i = (i + 1) & (cap - 1);
	slots[i] = *s;
}

/* Keep the table at most half full. */
static int grow(struct uidcount *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct uidcount_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].count)
			insert(slots, cap, &t->slots[i]);
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

long uidcount_add(struct uidcount *t, uint64_t key)
{
	struct uidcount_slot *s = find(t, key);

	t->moves++;
	if (s)
		return ++s->count;
	if ((t->used + 1) * 2 > t->cap && grow(t) < 0)
		return -ENOMEM;
	insert(t->slots, t->cap, &(struct uidcount_slot){.key = key, .count = 1});
	t->used++;
	return 1;
}

void uidcount_sub(struct uidcount *t, uint64_t key)
{
	struct uidcount_slot *s = find(t, key);
	size_t hole, i;

	t->moves++;
	if (!s || --s->count)
		return;
	t->used--;
	/* Backward-shift deletion: pull later members of the probe run into the hole. */
	hole = (size_t)(s - t->slots);
	for (i = (hole + 1) & (t->cap - 1); t->slots[i].count; i = (i + 1) & (t->cap - 1)) {
		size_t home = slot_of(t->slots[i].key, t->cap);
		/* Move it unless its home lies cyclically in (hole, i]. */
		if (((i - home) & (t->cap - 1)) >= ((i - hole) & (t->cap - 1))) {
			t->slots[hole] = t->slots[i];
			hole = i;
		}
	}
	t->slots[hole].count = 0;
}

void uidcount_release(struct uidcount *t)
{
	free(t->slots);
	*t = (struct uidcount){.moves = t->moves + 1};
}
