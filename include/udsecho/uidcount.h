/* SPDX-License-Identifier: MIT */
/*
 * uidcount: how many connections each uid holds, for the per-uid limit.
 *
 * An open-addressing hash table (linear probing, deletion by backward shift, so no tombstones
 * build up under churn) from uid to a count; a uid whose count drops to zero leaves the table.
 * Pure apart from malloc; safe in the worker's sandbox. Lookups are O(1) on average whatever
 * the number of uids, so that a flood of connections from many uids costs no more per accept.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uidcount_slot {
	uid_t uid;
	uint32_t count; /* 0: the slot is free */
};

struct uidcount {
	struct uidcount_slot *slots;
	size_t cap;  /* a power of two, or 0 before the first add */
	size_t used; /* slots with a count */
};

/* uidcount_get - the count for @uid (0 if none). */
uint32_t uidcount_get(const struct uidcount *t, uid_t uid);

/* uidcount_add - count one more for @uid; returns the new count, or -ENOMEM (nothing changed). */
long uidcount_add(struct uidcount *t, uid_t uid);

/* uidcount_sub - count one less for @uid (which must have a count). */
void uidcount_sub(struct uidcount *t, uid_t uid);

/* uidcount_release - free the table; it is empty and usable afterwards. */
void uidcount_release(struct uidcount *t);
