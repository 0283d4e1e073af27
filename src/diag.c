// SPDX-License-Identifier: MIT
/*
 * diag: the list of diagnostics a parser returns, and its one printed format.
 *
 * Pure: it allocates and formats, and prints only to the stream its caller passes. It never
 * logs and never exits; a failed allocation is reported to the caller and the error is still
 * counted, so an out-of-memory parse can never pass for a clean one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/diag.h"
#include "udsecho/escape.h"

void diag_list_init(struct diag_list *list)
{
	*list = (struct diag_list){0};
}

void diag_list_free(struct diag_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].file);
		free(list->items[i].message);
	}
	free(list->items);
	diag_list_init(list);
}

int diag_add(struct diag_list *list, enum diag_severity severity, const char *file, unsigned line,
	     unsigned col, const char *fmt, ...)
{
	struct diag d = {.severity = severity, .line = line, .col = col};
	va_list ap;
	int r;

	/* Count first: an error that cannot be stored must still fail the load. */
	if (severity == DIAG_ERROR)
		list->errors++;
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		struct diag *items = realloc(list->items, cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		list->items = items;
		list->cap = cap;
	}
	va_start(ap, fmt);
	r = vasprintf(&d.message, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	d.file = strdup(file);
	if (!d.file) {
		free(d.message);
		return -ENOMEM;
	}
	list->items[list->count++] = d;
	return 0;
}

int diag_has_errors(const struct diag_list *list)
{
	return list->errors > 0;
}

#define DIAG_FILE_SHOWN	   1024 /* bytes of a file name shown, before escaping */
#define DIAG_MESSAGE_SHOWN 1024

void diag_format(const struct diag *d, char *buf, size_t len)
{
	const char *sev = d->severity == DIAG_ERROR ? "error" : "warning";
	char file[4 * DIAG_FILE_SHOWN + 1], message[4 * DIAG_MESSAGE_SHOWN + 1];

	/* A file name or a quoted token may hold any byte: none reaches a terminal or a log raw. */
	escape(d->file, strlen(d->file), file, sizeof(file), 0);
	escape(d->message, strlen(d->message), message, sizeof(message), 0);
	if (d->line == 0)
		snprintf(buf, len, "%s: %s: %s", file, sev, message);
	else if (d->col == 0)
		snprintf(buf, len, "%s:%u: %s: %s", file, d->line, sev, message);
	else
		snprintf(buf, len, "%s:%u:%u: %s: %s", file, d->line, d->col, sev, message);
}

void diag_print(const struct diag_list *list, FILE *out)
{
	char line[8192];

	for (size_t i = 0; i < list->count; i++) {
		diag_format(&list->items[i], line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
}
