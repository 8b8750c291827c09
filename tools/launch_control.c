// SPDX-License-Identifier: MIT
/*
 * launch_control.c - px-launch --control: commands read from a named pipe
 * between two waits on the bus (launch_control.h has the commands).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <parallax/parallax.h>

#include "launch_control.h"

int launch_control_open(struct launch_control *c, const char *path)
{
	struct stat st;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->path = path;
	if (mkfifo(path, 0600) == 0) {
		c->created = true;
	} else if (errno != EEXIST) {
		int err = -errno;

		fprintf(stderr, "px-launch: --control %s: cannot make the "
				"FIFO: %s\n", path, px_strerror(err));
		return err;
	}
	/* Read-write: the FIFO never reads as closed between writers. */
	c->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0 || fstat(c->fd, &st) || !S_ISFIFO(st.st_mode)) {
		int err = c->fd < 0 ? -errno : -EINVAL;

		fprintf(stderr, "px-launch: --control %s: %s\n", path,
			c->fd < 0 ? px_strerror(err) :
				    "exists and is not a FIFO");
		launch_control_close(c);
		return err;
	}
	return 0;
}

static void run_command(char *line, struct px_pipeline *p)
{
	char *name, *desc;
	int err;

	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '#')
		return;
	if (!strcmp(line, "eos")) {
		err = px_pipeline_send_eos(p);
		fprintf(stderr, "px-launch: control: eos: %s\n",
			err ? px_strerror(err) : "sent");
		return;
	}
	if (strncmp(line, "replace ", 8)) {
		fprintf(stderr, "px-launch: control: unknown command '%s' "
				"(replace NAME DESCRIPTION, or eos)\n", line);
		return;
	}
	name = line + 8;
	while (*name == ' ')
		name++;
	desc = strchr(name, ' ');
	if (!desc) {
		fprintf(stderr, "px-launch: control: replace %s: a description "
				"of the new element must follow the name\n",
			name);
		return;
	}
	*desc++ = '\0';
	err = px_pipeline_replace(p, name, desc, NULL);
	if (err)
		fprintf(stderr, "px-launch: control: replace %s failed: %s\n",
			name, px_pipeline_error(p));
	else
		fprintf(stderr, "px-launch: control: replaced %s with %s\n",
			name, desc);
}

void launch_control_poll(struct launch_control *c, struct px_pipeline *p)
{
	char buf[1024];
	ssize_t n;

	while (c->fd >= 0 && (n = read(c->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (c->used + 1 < sizeof(c->line))
					c->line[c->used++] = buf[i];
				else
					c->overlong = true;
				continue;
			}
			c->line[c->used] = '\0';
			if (c->overlong)
				fprintf(stderr, "px-launch: control: a command "
						"longer than %zu bytes was "
						"skipped\n", sizeof(c->line) - 1);
			else
				run_command(c->line, p);
			c->used = 0;
			c->overlong = false;
		}
	}
}

void launch_control_close(struct launch_control *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->created)
		unlink(c->path);
	c->created = false;
}
