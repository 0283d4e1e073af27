/* SPDX-License-Identifier: MIT */
/*
 * uidcount: how many connections each uid holds, for the per-uid limits.
 *
 * An open-addressing hash table (linear probing, deletion by backward shift, so no tombstones
 * build up under churn) from uid to a count; a uid whose count drops to zero leaves the table.
 * Each entry also carries what the caller keeps for the uid while it has connections: the bytes
 * held for it and how many of its connections are paused (see uidcount_find).
 * Pure apart from malloc; safe in the worker's sandbox. Lookups are O(1) on average whatever
 * the number of uids, so that a flood of connections from many uids costs no more per accept.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uidcount_slot {
	uid_t uid;
	uint32_t count;	 /* 0: the slot is free */
	uint32_t paused; /* the caller's: connections of the uid it does not read for now */
	uint64_t held;	 /* the caller's: bytes it holds for the uid's connections */
};

struct uidcount {
	struct uidcount_slot *slots;
	size_t cap;  /* a power of two, or 0 before the first add */
	size_t used; /* slots with a count */
};

/* uidcount_get - the count for @uid (0 if none). */
uint32_t uidcount_get(const struct uidcount *t, uid_t uid);

/*
 * uidcount_find - the entry of @uid, or NULL when it has no count. Its held and paused fields
 * are the caller's to keep (0 in a new entry); the caller must bring them back to 0 before the
 * uid's last uidcount_sub, which drops the entry. The pointer is valid until the next
 * uidcount_add or uidcount_sub.
 */
struct uidcount_slot *uidcount_find(struct uidcount *t, uid_t uid);

/* uidcount_add - count one more for @uid; returns the new count, or -ENOMEM (nothing changed). */
long uidcount_add(struct uidcount *t, uid_t uid);

/* uidcount_sub - count one less for @uid (which must have a count). */
void uidcount_sub(struct uidcount *t, uid_t uid);

/* uidcount_release - free the table; it is empty and usable afterwards. */
void uidcount_release(struct uidcount *t);
