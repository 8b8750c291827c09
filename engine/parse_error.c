// SPDX-License-Identifier: MIT
/*
 * parse_error.c - where a launch-string error is and how it reads: byte
 * offsets to line:column, and the message with the source line and a
 * caret under the offending text (px_parse_error_format).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse_int.h"

void px__parse_position(const char *launch, uint32_t off, unsigned *line,
			unsigned *column)
{
	unsigned l = 1;
	uint32_t bol = 0;

	for (uint32_t i = 0; i < off && launch[i]; i++) {
		if (launch[i] == '\n') {
			l++;
			bol = i + 1;
		}
	}
	*line = l;
	*column = off - bol + 1;
}

int px__parse_error_set(struct px_parse_error *err, const char *launch,
			int code, struct px__parse_span span, const char *fmt,
			...)
{
	size_t len;
	va_list ap;

	if (!err)
		return code;
	/* A span past the end points just after the last byte. */
	len = launch ? strlen(launch) : 0;
	if (span.off > len)
		span.off = (uint32_t)len;
	err->code = code;
	px__parse_position(launch ? launch : "", span.off, &err->line,
			   &err->column);
	err->length = span.len;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

/* snprintf-style appender: counts what it could not store. */
struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, char c)
{
	if (o->pos + 1 < o->len)
		o->buf[o->pos] = c;
	o->pos++;
}

static void puts_n(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
}

PX_API int px_parse_error_format(const struct px_parse_error *err,
				 const char *launch, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	const char *line, *eol;
	char head[32];
	size_t n, col, mark;

	if (!err) {
		if (buf && len)
			buf[0] = '\0';
		return 0;
	}
	if (err->line == 0 || !launch) {
		puts_n(&o, err->message, strlen(err->message));
		put(&o, '\n');
		goto done;
	}
	snprintf(head, sizeof(head), "%u:%u: ", err->line, err->column);
	puts_n(&o, head, strlen(head));
	puts_n(&o, err->message, strlen(err->message));
	put(&o, '\n');

	line = launch;
	for (unsigned l = 1; l < err->line && line; l++) {
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (!line)
		goto done;
	eol = strchr(line, '\n');
	n = eol ? (size_t)(eol - line) : strlen(line);
	if (n && line[n - 1] == '\r')
		n--;
	puts_n(&o, "  ", 2);
	puts_n(&o, line, n);
	put(&o, '\n');

	/* Keep tabs so the caret lines up; skip UTF-8 continuation bytes. */
	col = err->column ? err->column - 1 : 0;
	if (col > n)
		col = n;
	puts_n(&o, "  ", 2);
	for (size_t i = 0; i < col; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c & 0xc0) == 0x80)
			continue;
		put(&o, c == '\t' ? '\t' : ' ');
	}
	put(&o, '^');
	mark = err->length > 1 ? err->length - 1 : 0;
	if (col + 1 + mark > n)
		mark = n > col + 1 ? n - col - 1 : 0;
	for (size_t i = 0; i < mark; i++) {
		unsigned char c = (unsigned char)line[col + 1 + i];

		if ((c & 0xc0) != 0x80)
			put(&o, '~');
	}
	put(&o, '\n');
done:
	if (len)
		buf[o.pos < len ? o.pos : len - 1] = '\0';
	return (int)o.pos;
}
