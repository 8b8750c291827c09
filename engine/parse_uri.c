// SPDX-License-Identifier: MIT
/*
 * parse_uri.c - the element a URI stands for in a launch string, as
 * gst-launch makes one from "file:///in.bin ! ...": a source where the URI
 * starts a chain, a sink where it ends one. The scheme picks the factory;
 * the rest of the URI sets its properties, and a query ("?key=value&...")
 * sets any other property by name (percent-escapes decoded throughout).
 *
 *   file:///path            filesrc / filesink   location=/path
 *   tcp://host:port         tcpsrc / tcpsink     host, port (client mode)
 *   strm://host:port        netsrc / netsink     host, port (STRM frames)
 *   ipc://channel           ipcsrc / ipcsink     channel
 *   nats://host:port/name   natssrc / natssink   url; stream (src) or
 *                                                subject (sink) = name
 *
 * The table is docs/launch-syntax.md's; keep both in step.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_int.h"
#include "px_element.h"
#include "px_error.h"
#include "px_pipeline.h"
#include "px_registry.h"

/* The parts of one URI, each decoded into its own NUL-terminated copy. */
struct uri {
	char scheme[16];
	char *host; /* authority without the port; brackets of [v6] removed */
	char *port; /* NULL when absent */
	char *path; /* from the first '/' after the authority, or "" */
	char *query; /* after '?', still encoded (split by apply_query), or NULL */
	char *authority; /* as written (for ipc:// and nats://) */
};

struct scheme {
	const char *name;
	const char *src, *sink; /* factories */
	int (*apply)(struct px_element *e, const struct uri *u, bool sink,
		     char *why, size_t len);
	const char *form; /* what a URI of this scheme looks like */
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode LEN bytes of S into *OUT (a new string). Returns 0,
 * -EINVAL (a '%' not followed by two hex digits) or -ENOMEM. */
static int decode(const char *s, size_t len, char **out)
{
	char *o = malloc(len + 1);

	*out = o;
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		hi = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
		lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			free(*out);
			*out = NULL;
			return -EINVAL;
		}
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	return 0;
}

static void uri_free(struct uri *u)
{
	free(u->host);
	free(u->port);
	free(u->path);
	free(u->query);
	free(u->authority);
	memset(u, 0, sizeof(*u));
}

/* Split TEXT ("scheme://authority/path?query") into U. */
static int uri_split(const char *text, struct uri *u, char *why, size_t len)
{
	const char *sep = strstr(text, "://"), *auth, *end, *q, *host, *hend;
	const char *colon = NULL;
	size_t slen;
	int r;

	if (!sep || sep == text || (size_t)(sep - text) >= sizeof(u->scheme)) {
		snprintf(why, len, "URI '%s' has no scheme", text);
		return -EINVAL;
	}
	slen = (size_t)(sep - text);
	for (size_t i = 0; i < slen; i++)
		u->scheme[i] = (char)((text[i] >= 'A' && text[i] <= 'Z')
					      ? text[i] - 'A' + 'a'
					      : text[i]);
	u->scheme[slen] = '\0';
	auth = sep + 3;
	end = auth + strcspn(auth, "/?");
	q = strchr(auth, '?');
	if (q) {
		u->query = strdup(q + 1);
		if (!u->query)
			return -ENOMEM;
	} else {
		q = auth + strlen(auth);
	}
	/* host[:port]: host is [v6], or a name or address without ':' */
	host = auth;
	hend = end;
	if (*auth == '[') {
		const char *close = memchr(auth, ']', (size_t)(end - auth));

		if (!close) {
			snprintf(why, len, "URI '%s': the '[' of an IPv6 "
				 "address is not closed", text);
			return -EINVAL;
		}
		host = auth + 1;
		hend = close;
		if (close + 1 < end && close[1] == ':')
			colon = close + 1;
	} else {
		colon = memchr(auth, ':', (size_t)(end - auth));
		if (colon)
			hend = colon;
	}
	r = decode(auth, (size_t)(end - auth), &u->authority);
	if (!r)
		r = decode(end, end < q ? (size_t)(q - end) : 0, &u->path);
	if (!r)
		r = decode(host, (size_t)(hend - host), &u->host);
	if (!r && colon)
		r = decode(colon + 1, (size_t)(end - colon - 1), &u->port);
	if (r == -EINVAL)
		snprintf(why, len, "URI '%s' has a bad %%-escape (write %%XX "
			 "with two hex digits)", text);
	return r;
}

static int set(struct px_element *e, const char *key, const char *value,
	       char *why, size_t len)
{
	int r = px_element_set(e, key, value);
	const char *engine;

	if (!r)
		return 0;
	/* The engine's sentence names the property (and a near miss). */
	engine = px_pipeline_error(px_element_pipeline(e));
	if (engine && *engine)
		snprintf(why, len, "%s (set from the URI)", engine);
	else
		snprintf(why, len, "%s refused %s=%s from the URI: %s",
			 px_element_name(e), key, value, px_strerror(r));
	return r;
}

static int apply_file(struct px_element *e, const struct uri *u, bool sink,
		      char *why, size_t len)
{
	(void)sink;
	if (*u->authority && strcmp(u->authority, "localhost")) {
		snprintf(why, len, "file URIs name a local path "
			 "(file:///path), not host '%s'", u->authority);
		return -EINVAL;
	}
	if (u->path[0] != '/' || !u->path[1]) {
		snprintf(why, len, "a file URI needs an absolute path: "
			 "file:///path");
		return -EINVAL;
	}
	return set(e, "location", u->path, why, len);
}

static int apply_host_port(struct px_element *e, const struct uri *u,
			   bool sink, char *why, size_t len)
{
	int r = 0;

	(void)sink;
	if (*u->path && strcmp(u->path, "/")) {
		snprintf(why, len, "a %s URI has no path (found '%s'): "
			 "%s://host:port", u->scheme, u->path, u->scheme);
		return -EINVAL;
	}
	if (*u->host)
		r = set(e, "host", u->host, why, len);
	if (!r && u->port)
		r = set(e, "port", u->port, why, len);
	return r;
}

static int apply_channel(struct px_element *e, const struct uri *u, bool sink,
			 char *why, size_t len)
{
	size_t n = strlen(u->authority) + strlen(u->path) + 1;
	char *channel = malloc(n);
	int r;

	(void)sink;
	if (!channel)
		return -ENOMEM;
	snprintf(channel, n, "%s%s", u->authority, u->path);
	r = set(e, "channel", channel, why, len);
	free(channel);
	return r;
}

static int apply_nats(struct px_element *e, const struct uri *u, bool sink,
		      char *why, size_t len)
{
	size_t n = strlen(u->authority) + 8;
	char *url = malloc(n);
	int r;

	if (!url)
		return -ENOMEM;
	snprintf(url, n, "nats://%s", u->authority);
	r = set(e, "url", url, why, len);
	free(url);
	if (!r && u->path[0] == '/' && u->path[1])
		r = set(e, sink ? "subject" : "stream", u->path + 1, why, len);
	return r;
}

static const struct scheme schemes[] = {
	{ "file", "filesrc", "filesink", apply_file, "file:///path" },
	{ "tcp", "tcpsrc", "tcpsink", apply_host_port, "tcp://host:port" },
	{ "strm", "netsrc", "netsink", apply_host_port, "strm://host:port" },
	{ "ipc", "ipcsrc", "ipcsink", apply_channel, "ipc://channel" },
	{ "nats", "natssrc", "natssink", apply_nats,
	  "nats://host:port/stream-or-subject" },
};

/* "?key=value&key=value": each sets a property (NAME was used already). */
static int apply_query(struct px_element *e, char *query, char *why,
		       size_t len)
{
	for (char *save = NULL, *kv = strtok_r(query, "&", &save); kv;
	     kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '='), *key = NULL, *value = NULL;
		int r;

		if (!eq || eq == kv) {
			snprintf(why, len, "URI query part '%s' is not "
				 "key=value", kv);
			return -EINVAL;
		}
		r = decode(kv, (size_t)(eq - kv), &key);
		if (!r)
			r = decode(eq + 1, strlen(eq + 1), &value);
		if (r == -EINVAL)
			snprintf(why, len, "URI query part '%s' has a bad "
				 "%%-escape", kv);
		else if (strcmp(key, "name"))
			r = set(e, key, value, why, len);
		free(key);
		free(value);
		if (r)
			return r;
	}
	return 0;
}

/* The value of name= in QUERY into *NAME (a new string, or NULL). */
static int query_name(const char *query, char **name)
{
	*name = NULL;
	for (const char *p = query; p && *p;) {
		size_t n = strcspn(p, "&");

		if (n > 5 && !strncmp(p, "name=", 5)) {
			free(*name);
			if (decode(p + 5, n - 5, name) == -ENOMEM)
				return -ENOMEM;
		}
		p += n + (p[n] == '&');
	}
	return 0;
}

int px__parse_uri_element(struct px_pipeline *p, const char *text, bool sink,
			  struct px_element **out, char *why, size_t len)
{
	const struct scheme *sc = NULL;
	struct uri u = { 0 };
	char *name = NULL;
	int r;

	*out = NULL;
	r = uri_split(text, &u, why, len);
	if (r)
		goto out;
	for (size_t i = 0; i < PX_ARRAY_SIZE(schemes); i++)
		if (!strcmp(schemes[i].name, u.scheme))
			sc = &schemes[i];
	if (!sc) {
		snprintf(why, len, "no element for URI scheme '%s' (known: "
			 "file, tcp, strm, ipc, nats)", u.scheme);
		r = -ENOENT;
		goto out;
	}
	if (!px_registry_find(sink ? sc->sink : sc->src)) {
		snprintf(why, len, "URI '%s' needs element %s, which is not "
			 "available (is its plugin installed?)", text,
			 sink ? sc->sink : sc->src);
		r = -ENOENT;
		goto out;
	}
	r = query_name(u.query, &name);
	if (!r)
		r = px_pipeline_add(p, sink ? sc->sink : sc->src, name, out);
	if (r) {
		snprintf(why, len, "could not make %s for URI '%s': %s",
			 sink ? sc->sink : sc->src, text, px_strerror(r));
		goto out;
	}
	r = sc->apply(*out, &u, sink, why, len);
	if (!r && u.query)
		r = apply_query(*out, u.query, why, len);
	if (r == -EINVAL && !strstr(why, sc->form)) {
		size_t used = strlen(why);

		snprintf(why + used, len - used, " (a %s URI: %s)", u.scheme,
			 sc->form);
	}
out:
	free(name);
	uri_free(&u);
	return r;
}
