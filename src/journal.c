// SPDX-License-Identifier: MIT
/* journal: log lines as records of journald's native protocol (see journal.h). Pure. */
#include <stdint.h>
#include <string.h>

#include "udsecho/journal.h"

struct record {
	char *p;
	size_t len, cap;
	int full;
};

static void put(struct record *r, const void *s, size_t n)
{
	if (r->full || n > r->cap - r->len) {
		r->full = 1;
		return;
	}
	memcpy(r->p + r->len, s, n);
	r->len += n;
}

/*
 * One field. A value with a newline takes the protocol's binary form: the name, a newline, the
 * length as 64 bits little-endian, the value; otherwise NAME=VALUE. Both end in a newline.
 */
static void field(struct record *r, const char *name, const char *v, size_t n)
{
	put(r, name, strlen(name));
	if (memchr(v, '\n', n)) {
		unsigned char le[8];

		for (int i = 0; i < 8; i++)
			le[i] = (unsigned char)((uint64_t)n >> (8 * i));
		put(r, "\n", 1);
		put(r, le, sizeof(le));
	} else {
		put(r, "=", 1);
	}
	put(r, v, n);
	put(r, "\n", 1);
}

/* The value of "@key=" among the words of @msg, quotes removed; NULL when absent. */
static const char *word(const char *msg, size_t len, const char *key, size_t *n)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < len;) {
		size_t end;

		if (len - i > klen && memcmp(msg + i, key, klen) == 0 && msg[i + klen] == '=') {
			const char *v = msg + i + klen + 1;
			size_t left = len - i - klen - 1;
			const char *stop = left && *v == '"' ? memchr(v + 1, '"', left - 1)
							     : memchr(v, ' ', left);

			if (left && *v == '"') {
				*n = stop ? (size_t)(stop - v - 1) : left - 1;
				return v + 1;
			}
			*n = stop ? (size_t)(stop - v) : left;
			return v;
		}
		/* On to the next word, past a quoted value as a whole. */
		end = i;
		while (end < len && msg[end] != ' ') {
			if (msg[end] == '"') {
				const char *q = memchr(msg + end + 1, '"', len - end - 1);
				end = q ? (size_t)(q - msg) : len - 1;
			}
			end++;
		}
		i = end + 1;
	}
	return NULL;
}

static const struct event_kind {
	const char *event;
	const char *id; /* MESSAGE_ID, or NULL */
	int peer;	/* the line is about one peer: pid=, uid=, gid= are its */
} kinds[] = {
	{"allow", JOURNAL_ID_ALLOW, 1},
	{"deny", JOURNAL_ID_DENY, 1},
	{"revoke", JOURNAL_ID_REVOKE, 1},
	{"busy", JOURNAL_ID_BUSY, 1},
	{"unavailable", JOURNAL_ID_UNAVAILABLE, 1},
	{"close", NULL, 1},
	{"would-revoke", NULL, 1},
	{"client", NULL, 1},
	{"reload", JOURNAL_ID_RELOAD, 0},
	{"preview", JOURNAL_ID_PREVIEW, 0},
};

static const struct event_kind *kind_of(const char *event, size_t n)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].event) == n && memcmp(kinds[i].event, event, n) == 0)
			return &kinds[i];
	return NULL;
}

/* The fields the line's own words give, when it is an event line. */
static void event_fields(struct record *r, const char *msg, size_t len)
{
	static const struct {
		const char *key, *field;
	} peer[] = {
		{"pid", "UDSECHO_PEER_PID"},   {"uid", "UDSECHO_PEER_UID"},
		{"gid", "UDSECHO_PEER_GID"},   {"rule", "UDSECHO_RULE"},
		{"name", "UDSECHO_RULE_NAME"},
	};
	const struct event_kind *k;
	const char *event, *v;
	size_t n;

	if (len < 6 || memcmp(msg, "event=", 6) != 0)
		return;
	event = word(msg, len, "event", &n);
	field(r, "UDSECHO_EVENT", event, n);
	k = kind_of(event, n);
	if (!k)
		return;
	if (k->id)
		field(r, "MESSAGE_ID", k->id, strlen(k->id));
	for (size_t i = 0; k->peer && i < sizeof(peer) / sizeof(peer[0]); i++)
		if ((v = word(msg, len, peer[i].key, &n)))
			field(r, peer[i].field, v, n);
}

size_t journal_record(char *buf, size_t cap, int priority, const char *ident, const char *msg,
		      size_t len)
{
	struct record r = {buf, 0, cap, 0};
	char prio = (char)('0' + (priority & 7));

	field(&r, "MESSAGE", msg, len);
	field(&r, "PRIORITY", &prio, 1);
	field(&r, "SYSLOG_IDENTIFIER", ident, strlen(ident));
	event_fields(&r, msg, len);
	return r.full ? 0 : r.len;
}
