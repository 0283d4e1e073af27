/* SPDX-License-Identifier: MIT */
/*
 * uidcount: how many connections each uid holds, for the per-uid limits.
 *
 * An open-addressing hash table (linear probing, deletion by backward shift, so no tombstones
 * build up under churn) from uid to a count; a uid whose count drops to zero leaves the table.
 * Each entry also carries what the caller keeps for the uid while it has connections: the bytes
 * held for it, how many of its connections are paused and what was read for it in the caller's
 * current turn (see uidcount_find).
 * The key is a uid, or a uid together with a rule of the policy (uidcount_key), for the limits
 * a rule sets. Pure apart from malloc; safe in the worker's sandbox. Lookups are O(1) on average
 * whatever the number of uids, so that a flood of connections from many uids costs no more per
 * accept.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uidcount_slot {
	uint64_t key;	    /* a uid, or what the caller makes of one (see uidcount_key) */
	uint32_t count;	    /* 0: the slot is free */
	uint32_t paused;    /* the caller's: connections of the uid it does not read for now */
	uint64_t held;	    /* the caller's: bytes it holds for the uid's connections */
	uint32_t turn;	    /* the caller's: the turn of its loop that turn_read counts */
	uint32_t turn_read; /* the caller's: bytes read for the uid in that turn */
};

struct uidcount {
	struct uidcount_slot *slots;
	size_t cap;	/* a power of two, or 0 before the first add */
	size_t used;	/* slots with a count */
	uint64_t moves; /* how many uidcount_add and uidcount_sub calls there were (see find) */
};

/* uidcount_key - the key of @uid's connections admitted by rule @rule (an index, 0 or more). */
static inline uint64_t uidcount_key(uint32_t rule, uint32_t uid)
{
	return (uint64_t)(rule + 1ULL) << 32 | uid;
}

/* uidcount_get - the count for @key (0 if none). */
uint32_t uidcount_get(const struct uidcount *t, uint64_t key);

/*
 * uidcount_find - the entry of @key, or NULL when it has no count. Its held, paused, turn and
 * turn_read fields are the caller's to keep (0 in a new entry); the caller must bring held and
 * paused back to 0 before the uid's last uidcount_sub, which drops the entry. The pointer is valid
 * until the next uidcount_add or uidcount_sub: while t->moves is what it was, a caller may keep it
 * instead of looking the key up again.
 */
struct uidcount_slot *uidcount_find(struct uidcount *t, uint64_t key);

/* uidcount_add - count one more for @key; returns the new count, or -ENOMEM (nothing changed). */
long uidcount_add(struct uidcount *t, uint64_t key);

/* uidcount_sub - count one less for @key (which must have a count). */
void uidcount_sub(struct uidcount *t, uint64_t key);

/* uidcount_release - free the table; it is empty and usable afterwards. */
void uidcount_release(struct uidcount *t);
