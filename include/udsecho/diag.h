/* SPDX-License-Identifier: MIT */
/*
 * diag: diagnostics collected by parsers instead of logging.
 *
 * A parser appends "FILE:LINE:COL: error: MESSAGE" or "warning:" entries to a list and returns;
 * the caller decides where they go (udsecho-policy prints them, udsechod logs them). The module
 * is pure: it allocates, formats and prints to a FILE the caller hands it, nothing else. An
 * error that could not be stored for lack of memory is still counted, so a list never looks
 * clean when it is not.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

enum diag_severity {
	DIAG_WARNING,
	DIAG_ERROR,
};

struct diag {
	enum diag_severity severity;
	char *file;    /* the file as it was named to the loader, or "built-in" */
	unsigned line; /* 1-based; 0 when the diagnostic is about the whole file */
	unsigned col;  /* 1-based byte column; 0 when it is about the whole line */
	char *message; /* no trailing newline */
};

struct diag_list {
	struct diag *items;
	size_t count;
	size_t cap;
	size_t errors; /* errors added, including any that could not be stored */
};

/* diag_list_init - make @list empty. */
void diag_list_init(struct diag_list *list);

/* diag_list_free - release every entry; @list is empty afterwards and may be reused. */
void diag_list_free(struct diag_list *list);

/*
 * diag_add - append one diagnostic; @line or @col 0 leave that part out when printed.
 * Returns 0, or -ENOMEM (an error is then still counted by diag_has_errors()).
 */
int diag_add(struct diag_list *list, enum diag_severity severity, const char *file, unsigned line,
	     unsigned col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* diag_has_errors - whether an error (not a warning) was added. */
int diag_has_errors(const struct diag_list *list);

/* diag_format - write one diagnostic as "FILE:LINE:COL: SEVERITY: MESSAGE" into @buf. */
void diag_format(const struct diag *d, char *buf, size_t len);

/* diag_print - write every diagnostic, one per line, in the order added. */
void diag_print(const struct diag_list *list, FILE *out);
