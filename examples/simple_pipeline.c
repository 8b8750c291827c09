// SPDX-License-Identifier: MIT
/*
 * simple_pipeline.c - embedding Parallax: one pipeline from a launch string,
 * one built element by element with the typed builder, both run to EOS
 * while the program reads the bus. Exits 0 when both end well.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <parallax/px_elements.h>
#include <parallax/px_error.h>
#include <parallax/px_pipeline.h>

/* Print what is left on the bus (element messages such as checksums). */
static void drain_bus(struct px_pipeline *p)
{
	struct px_message m;

	while (px_bus_pop(px_pipeline_bus(p), 0, &m) == 0)
		if (m.type == PX_MSG_ELEMENT || m.type == PX_MSG_WARNING)
			printf("  %s %s: %s\n", px_msg_type_name(m.type),
			       m.source, m.text);
}

/* Play P, block until EOS or ERROR, report and stop. */
static int run(struct px_pipeline *p)
{
	struct px_message m;
	int rc = px_pipeline_play(p);

	if (rc < 0) {
		fprintf(stderr, "play: %s\n", px_pipeline_error(p));
		return rc;
	}
	rc = px_pipeline_wait(p, 60ll * 1000000000ll, &m);
	if (rc == 0)
		printf("%s: EOS after %.3f s\n", px_pipeline_name(p),
		       px_pipeline_seconds(p));
	else if (rc == -ETIMEDOUT)
		fprintf(stderr, "%s: no EOS within 60 s\n", px_pipeline_name(p));
	else
		fprintf(stderr, "%s: error from %s: %s\n", px_pipeline_name(p),
			m.source, m.text);
	drain_bus(p);
	px_pipeline_stop(p);
	return rc;
}

/* 1. From a launch string, as px-launch would. */
static int from_string(void)
{
	const char *launch = "fakesrc num-buffers=100000 size=64 ! identity "
			     "! fakesink name=sink checksum=true";
	struct px_parse_error err;
	struct px_pipeline *p;
	char count[32];
	int rc;

	rc = px_pipeline_parse(launch, &p, &err);
	if (rc < 0) {
		char text[512];

		px_parse_error_format(&err, launch, text, sizeof(text));
		fprintf(stderr, "%s", text);
		return rc;
	}
	rc = run(p);
	if (rc == 0) {
		px_element_get(px_pipeline_find(p, "sink"), "buffers", count,
			       sizeof(count));
		printf("  sink received %s buffers\n", count);
		if (strcmp(count, "100000"))
			rc = -EIO;
	}
	px_pipeline_destroy(p);
	return rc;
}

/* 2. Element by element: fakesrc ! tee ! fakesink, tee ! queue ! fakesink. */
static int from_builder(void)
{
	struct px_element *src, *tee, *q, *a, *b;
	struct px_pipeline *p;
	int rc;

	rc = px_pipeline_create("built", &p);
	if (rc < 0)
		return rc;
	rc = px_add_fakesrc(p, "src",
			    &(struct px_fakesrc_config){
				    .num_buffers = 50000,
				    .size = 4096,
				    .filltype = PX_FAKESRC_FILL_PATTERN,
			    },
			    &src);
	if (!rc)
		rc = px_add_tee(p, "split", NULL, &tee);
	if (!rc)
		rc = px_add_fakesink(p, "near",
				     &(struct px_fakesink_config){ .checksum = true },
				     &a);
	if (!rc) /* the second branch runs on another reactor */
		rc = px_add_queue(p, "hop",
				  &(struct px_queue_config){ .max_size_buffers = 64 },
				  &q);
	if (!rc)
		rc = px_add_fakesink(p, "far",
				     &(struct px_fakesink_config){ .checksum = true },
				     &b);
	if (!rc)
		rc = px_link_chain(src, tee, a, NULL);
	if (!rc)
		rc = px_link_chain(tee, q, b, NULL);
	if (rc < 0)
		fprintf(stderr, "build: %s\n", px_pipeline_error(p));
	else
		rc = run(p);
	px_pipeline_destroy(p);
	return rc;
}

int main(void)
{
	int rc = from_string();

	if (rc == 0)
		rc = from_builder();
	if (rc < 0) {
		fprintf(stderr, "simple_pipeline: %s\n", px_strerror(rc));
		return 1;
	}
	return 0;
}
