// SPDX-License-Identifier: MIT
/*
 * px-launch - build a pipeline from a launch string and run it to EOS, as
 * gst-launch-1.0 does: Ctrl-C asks for EOS (twice stops at once), -v shows
 * bus messages, --stats / --stats-json / --dot / --json report the run,
 * --control FIFO takes commands (replace an element, EOS) while it runs.
 * SIGTERM sends EOS too, but stops the pipeline if EOS has not arrived 2 s
 * later. Exit status: 0 after EOS, 1 on a runtime error, 2 on a usage or
 * parse error, 130 when a second interrupt stopped it before EOS, 143 when
 * EOS did not come in time after SIGTERM.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <parallax/parallax.h>
#include <parallax/px_pipeline.h>

#include "launch_control.h"
#include "launch_serve.h"
#include "launch_stats.h"

#define EXIT_EOS 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define EXIT_FORCED 130
#define EXIT_TERMINATED 143 /* 128 + SIGTERM: EOS did not come in time */

/* After SIGTERM, how long EOS may take before the pipeline is stopped. */
#define TERM_GRACE_NS (2 * 1000 * 1000 * 1000LL)

#define TICK_NS (200 * 1000 * 1000LL)
#define PROGRESS_AFTER_NS (1000 * 1000 * 1000LL)

struct options {
	bool verbose, quiet, stats;
	const char *stats_json, *dot, *json;
	const char *control; /* --control FIFO */
	const char *metrics; /* --metrics ADDR */
	struct px_memory memory; /* --memory; AUTO unless given */
	char *launch; /* joined from argv (malloc'ed) */
};

/* Touched by the signal handler: only sig_atomic_t and the pipeline
 * pointer, whose px_pipeline_send_eos() is async-signal-safe. */
static volatile sig_atomic_t interrupts;
static volatile sig_atomic_t terminated; /* the first signal was SIGTERM */
static volatile sig_atomic_t eos_sent;
static struct px_pipeline *volatile running;

static bool progress_shown;

static void on_signal(int sig)
{
	static const char again[] =
		"\npx-launch: interrupted again, stopping now\n";
	struct px_pipeline *p = running;

	if (interrupts == 0 && sig == SIGTERM)
		terminated = 1;
	if (interrupts < 2)
		interrupts++;
	if (interrupts == 1 && p && px_pipeline_send_eos(p) == 0)
		eos_sent = 1;
	if (interrupts == 2) {
		ssize_t w = write(STDERR_FILENO, again, sizeof(again) - 1);

		(void)w;
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: px-launch [OPTION...] PIPELINE-DESCRIPTION...\n"
		"Run a pipeline until EOS, e.g.\n"
		"  px-launch fakesrc num-buffers=1000 ! tee name=t ! fakesink  t. ! queue ! fakesink\n"
		"\n"
		"  -v, --verbose        print every bus message as it arrives\n"
		"  -q, --quiet          no progress line and no 'EOS after' line (errors\n"
		"                       and warnings still print), as gst-launch -q\n"
		"      --stats          print per-element and per-pool statistics at the end\n"
		"      --stats-json F   write the statistics as JSON to F ('-': stdout)\n"
		"      --dot F          write the graph in Graphviz DOT to F\n"
		"      --json F         write the graph as JSON to F\n"
		"      --memory M       where the pools live: heap, thp, memfd, hugetlb,\n"
		"                       hugetlb-1g or file:DIR; ',require' refuses a\n"
		"                       fallback, ',node=N' binds (docs/memory.md)\n"
		"      --metrics ADDR   serve Prometheus metrics at http://ADDR/metrics\n"
		"                       while running (ADDR: HOST:PORT or :PORT, port 0\n"
		"                       picks one; the URL is printed)\n"
		"      --control FIFO   read commands from the named pipe FIFO\n"
		"                       (made if missing): 'replace NAME DESCRIPTION'\n"
		"                       swaps a running element, 'eos' sends EOS\n"
		"  -e, --eos-on-shutdown  accepted for gst-launch habits (EOS on\n"
		"                       Ctrl-C is always on)\n"
		"      --version        print the version\n"
		"  -h, --help           this text\n"
		"      --               end of options: what follows is the description\n"
		"\n"
		"Description syntax (as gst-launch-1.0):\n"
		"  ELEMENT [PROP=VALUE]... ! ELEMENT ...   a chain of linked elements\n"
		"  tee name=t ... t. ! queue ! ...         name=N, then N. or N.PAD refer to it\n"
		"  fakesrc .src ! .sink fakesink           a pad beside its element\n"
		"  ! application/x-rec,rate=(int)10 !      a caps filter on that link\n"
		"  a : b                                   link all pads of a to b\n"
		"  file:///in ! ... ! tcp://host:5000      URIs: a source first, a sink last\n"
		"  PROP=\"two words\"  PROP='x'  PROP=a\\ b   quoting; '#' starts a comment\n"
		"  px-inspect lists the elements; px-inspect ELEMENT shows its properties.\n"
		"\n"
		"The description may be one argument or several words; a word such as\n"
		"location=my file (quoted for the shell) keeps its spaces.\n"
		"Ctrl-C sends EOS; a second Ctrl-C stops at once. SIGTERM sends EOS\n"
		"and stops after 2 s if EOS has not arrived.\n"
		"Exit status: 0 EOS, 1 runtime error, 2 usage or parse error,\n"
		"130 stopped by a second interrupt, 143 stopped 2 s after SIGTERM.\n"
		"More: man px-launch.\n");
}

static bool is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '%';
}

/*
 * Join argv words with spaces. The shell has already removed the quotes of
 * location="my file", so a KEY=VALUE word whose value holds whitespace gets
 * its value quoted again (gst-launch escapes the spaces for the same
 * reason). Other words are kept as they are.
 */
static char *join_words(char **words, int n)
{
	size_t size = 1;
	char *out, *o;

	for (int i = 0; i < n; i++)
		size += 2 * strlen(words[i]) + 4;
	out = o = malloc(size);
	if (!out)
		return NULL;
	for (int i = 0; i < n; i++) {
		const char *w = words[i], *eq = w;

		if (i)
			*o++ = ' ';
		while (is_ident_char(*eq))
			eq++;
		if (n > 1 && eq > w && *eq == '=' && eq[1] != '"' &&
		    eq[1] != '\'' && strpbrk(eq, " \t\n")) {
			memcpy(o, w, (size_t)(eq - w) + 1);
			o += eq - w + 1;
			*o++ = '"';
			for (const char *c = eq + 1; *c; c++) {
				if (*c == '"' || *c == '\\')
					*o++ = '\\';
				*o++ = *c;
			}
			*o++ = '"';
		} else {
			size_t len = strlen(w);

			memcpy(o, w, len);
			o += len;
		}
	}
	*o = '\0';
	return out;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **target = NULL;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o->verbose = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			o->quiet = true;
		} else if (!strcmp(a, "-e") || !strcmp(a, "--eos-on-shutdown")) {
			/* gst-launch's opt-in is our default: accepted. */
		} else if (!strcmp(a, "--stats")) {
			o->stats = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--version")) {
			printf("px-launch %s\n", px_version());
			exit(0);
		} else if (!strcmp(a, "--stats-json")) {
			target = &o->stats_json;
		} else if (!strcmp(a, "--dot")) {
			target = &o->dot;
		} else if (!strcmp(a, "--json")) {
			target = &o->json;
		} else if (!strcmp(a, "--control")) {
			target = &o->control;
		} else if (!strcmp(a, "--metrics")) {
			target = &o->metrics;
		} else if (!strcmp(a, "--memory")) {
			char why[PX_MEMORY_DIR_MAX + 128];

			if (++i == argc) {
				fprintf(stderr, "px-launch: --memory needs a "
						"value, e.g. hugetlb\n");
				return -EINVAL;
			}
			if (px_memory_parse(argv[i], &o->memory, why,
					    sizeof(why))) {
				fprintf(stderr, "px-launch: --memory: %s\n",
					why);
				return -EINVAL;
			}
		} else {
			fprintf(stderr, "px-launch: unknown option '%s'\n", a);
			usage(stderr);
			return -EINVAL;
		}
		if (target) {
			if (++i == argc) {
				fprintf(stderr, "px-launch: %s needs %s\n", a,
					target == &o->metrics ?
						"an address, e.g. :9100" :
						"a file name");
				return -EINVAL;
			}
			*target = argv[i];
		}
	}
	if (i == argc) {
		usage(stderr);
		return -EINVAL;
	}
	o->launch = join_words(argv + i, argc - i);
	return o->launch ? 0 : -ENOMEM;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void clear_progress(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = false;
	}
}

static void show_progress(struct px_pipeline *p, int64_t elapsed_ns)
{
	double secs = (double)elapsed_ns / 1e9;
	uint64_t bufs, bytes;
	char b1[32], b2[32];

	launch_stats_sinks(p, &bufs, &bytes);
	fprintf(stderr, "\r%.1f s: %llu buffers, %s at %.0f buffers/s, %s/s\033[K",
		secs, (unsigned long long)bufs,
		launch_human_bytes((double)bytes, b1, sizeof(b1)),
		(double)bufs / secs,
		launch_human_bytes((double)bytes / secs, b2, sizeof(b2)));
	progress_shown = true;
}

static void print_message(const struct px_message *m, int64_t t0)
{
	double at = m->time_ns ? (double)((int64_t)m->time_ns - t0) / 1e9 : 0;

	clear_progress();
	if (m->type == PX_MSG_STATE_CHANGED)
		fprintf(stderr, "px-launch: [%.3f] %s: state %s -> %s\n", at,
			m->source, px_state_name(m->old_state),
			px_state_name(m->new_state));
	else {
		/* The reason, unless the sentence says it already. */
		const char *why = m->code ? px_strerror(m->code) : NULL;

		if (why && strstr(m->text, why))
			why = NULL;
		fprintf(stderr, "px-launch: [%.3f] %s from %s: %s%s%s%s\n", at,
			px_msg_type_name(m->type), m->source, m->text,
			why ? " (" : "", why ? why : "", why ? ")" : "");
	}
}

/* Messages other than EOS and ERROR: shown with -v (warnings always). */
static void show_message(const struct options *o, const struct px_message *m,
			 int64_t t0)
{
	if (o->verbose) {
		print_message(m, t0);
	} else if (m->type == PX_MSG_WARNING) {
		clear_progress();
		fprintf(stderr, "px-launch: WARNING from %s: %s\n", m->source,
			m->text);
	}
}

/*
 * Pop what is queued on the bus. Returns 1 and fills END when EOS or ERROR
 * was among it, 0 otherwise.
 */
static int drain_bus(const struct options *o, struct px_pipeline *p,
		     struct px_message *end, int64_t t0)
{
	struct px_bus *bus = px_pipeline_bus(p);
	struct px_message m;
	int found = 0;

	while (px_bus_pop(bus, 0, &m) == 0) {
		if ((m.type == PX_MSG_EOS || m.type == PX_MSG_ERROR) && !found) {
			*end = m;
			found = 1;
			continue;
		}
		show_message(o, &m, t0);
	}
	return found;
}

static int write_file(const char *path, struct px_pipeline *p,
		      int (*fn)(const struct px_pipeline *, FILE *),
		      const char *what)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	int r;

	if (!f) {
		fprintf(stderr, "px-launch: cannot write %s to %s: %s\n", what,
			path, strerror(errno));
		return -errno;
	}
	r = fn(p, f);
	if (f != stdout) {
		if (fclose(f) && !r)
			r = -EIO;
	} else {
		fflush(f);
	}
	if (r)
		fprintf(stderr, "px-launch: writing %s to %s failed: %s\n", what,
			path, px_strerror(r));
	return r;
}

/*
 * SIGINT and SIGTERM go to the main thread only: they are blocked before
 * any reactor thread exists (threads inherit the mask) and unblocked here
 * once the pipeline runs, so no reactor's io_uring wait is interrupted.
 */
static void block_signals(bool block)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/*
 * "px-launch: ERROR from SOURCE: TEXT (strerror)", without saying the
 * element's name or the errno text twice when TEXT already does.
 */
static void print_error(const char *source, const char *text, int code)
{
	size_t n = strlen(source);
	const char *why = px_strerror(code);

	clear_progress();
	if (n && !strncmp(text, source, n) && text[n] == ':' && text[n + 1] == ' ')
		text += n + 2;
	if (!code || strstr(text, why))
		fprintf(stderr, "px-launch: ERROR from %s: %s\n", source, text);
	else
		fprintf(stderr, "px-launch: ERROR from %s: %s (%s)\n", source,
			text, why);
}

/* Run P until EOS, error or a second interrupt; returns the exit status. */
static int run(const struct options *o, struct px_pipeline *p,
	       struct launch_control *ctl, struct launch_serve *sv)
{
	bool tty = isatty(STDERR_FILENO) && !o->verbose && !o->quiet;
	bool announced = false;
	int64_t term_deadline = 0;
	int64_t t0 = now_ns();
	struct px_message m;
	int r;

	running = p;
	if (o->verbose) {
		const char *why;
		int b = px_backend_default(&why);

		fprintf(stderr, "px-launch: reactor backend %s (%s)\n",
			b < 0 ? "none" : px_backend_name((enum px_backend)b),
			why);
	}
	r = px_pipeline_play(p);
	block_signals(false);
	if (o->dot)
		write_file(o->dot, p, px_pipeline_write_dot, "the DOT graph");
	if (o->json)
		write_file(o->json, p, px_pipeline_write_json, "the JSON graph");
	if (r) {
		memset(&m, 0, sizeof(m));
		drain_bus(o, p, &m, t0);
		if (m.type == PX_MSG_ERROR)
			print_error(m.source, m.text, m.code ? m.code : r);
		else
			print_error(px_pipeline_name(p),
				    *px_pipeline_error(p) ? px_pipeline_error(p)
							  : "could not start",
				    r);
		return EXIT_RUNTIME;
	}
	for (;;) {
		if (interrupts >= 2) {
			clear_progress();
			return EXIT_FORCED;
		}
		if (interrupts == 1 && !announced) {
			/* A signal before PLAYING found nothing to stop:
			 * the handler's send_eos failed, so ask again. */
			if (!eos_sent && px_pipeline_send_eos(p) == 0)
				eos_sent = 1;
			clear_progress();
			if (terminated) {
				/* SIGTERM asks to end: EOS, for a while. */
				term_deadline = now_ns() + TERM_GRACE_NS;
				fprintf(stderr, "px-launch: SIGTERM: sending EOS; "
						"stopping in %lld s if it does not "
						"arrive\n",
					TERM_GRACE_NS / 1000000000LL);
			} else {
				fprintf(stderr, "px-launch: interrupt: sending "
						"EOS (interrupt again to stop "
						"at once)\n");
			}
			announced = true;
		}
		if (term_deadline && now_ns() >= term_deadline) {
			clear_progress();
			fprintf(stderr, "px-launch: SIGTERM: EOS did not arrive "
					"within %lld s (a sink that cannot write, "
					"such as a full pipe nobody reads); "
					"stopping\n",
				TERM_GRACE_NS / 1000000000LL);
			return EXIT_TERMINATED;
		}
		launch_control_poll(ctl, p);
		memset(&m, 0, sizeof(m));
		if (sv->r) {
			/* Serve px-inspect and /metrics while waiting. */
			launch_serve_wait(sv, TICK_NS);
			r = px_pipeline_wait(p, 0, &m);
		} else {
			r = px_pipeline_wait(p, TICK_NS, &m);
		}
		if (r == 0 || m.type == PX_MSG_ERROR || m.type == PX_MSG_EOS) {
			struct px_message later;

			drain_bus(o, p, &later, t0);
			break;
		}
		if (drain_bus(o, p, &m, t0))
			break;
		if (r != -ETIMEDOUT && r != -EINTR) {
			clear_progress();
			fprintf(stderr, "px-launch: waiting for the pipeline "
					"failed: %s\n", px_strerror(r));
			return EXIT_RUNTIME;
		}
		if (tty && now_ns() - t0 >= PROGRESS_AFTER_NS)
			show_progress(p, now_ns() - t0);
	}
	clear_progress();
	if (interrupts && !announced) /* EOS came before the loop said it */
		fprintf(stderr, "px-launch: %s: sent EOS\n",
			terminated ? "SIGTERM" : "interrupt");
	if (o->verbose)
		print_message(&m, t0);
	if (m.type == PX_MSG_ERROR) {
		print_error(m.source, m.text, m.code ? m.code : r);
		return EXIT_RUNTIME;
	}
	if (!o->quiet)
		printf("px-launch: EOS after %.3f s\n", px_pipeline_seconds(p));
	return EXIT_EOS;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct px_parse_error err;
	struct px_pipeline *p = NULL;
	struct launch_control ctl = { .fd = -1 };
	struct launch_serve sv = { .r = NULL };
	int status, r;

	if (parse_args(argc, argv, &o))
		return EXIT_USAGE;
	block_signals(true);
	install_signals();
	r = px_pipeline_parse(o.launch, &p, &err);
	if (r) {
		int need = px_parse_error_format(&err, o.launch, NULL, 0);
		char *text = malloc((size_t)need + 1);

		if (text) {
			px_parse_error_format(&err, o.launch, text, (size_t)need + 1);
			fprintf(stderr, "px-launch: %s", text);
		} else {
			fprintf(stderr, "px-launch: %s\n", err.message);
		}
		free(text);
		free(o.launch);
		return EXIT_USAGE;
	}
	if (px_pipeline_set_memory(p, &o.memory)) {
		fprintf(stderr, "px-launch: --memory: %s\n",
			px_pipeline_error(p));
		px_pipeline_destroy(p);
		free(o.launch);
		return EXIT_USAGE;
	}
	if (o.control && launch_control_open(&ctl, o.control)) {
		px_pipeline_destroy(p);
		free(o.launch);
		return EXIT_USAGE;
	}
	if (launch_serve_start(&sv, p, o.metrics) && o.metrics) {
		launch_control_close(&ctl);
		px_pipeline_destroy(p);
		free(o.launch);
		return EXIT_USAGE;
	}
	status = run(&o, p, &ctl, &sv);
	launch_serve_stop(&sv);
	launch_control_close(&ctl);
	fflush(stdout);
	if (o.stats)
		launch_stats_print(p, stdout);
	if (o.stats_json &&
	    write_file(o.stats_json, p, px_pipeline_write_stats_json,
		       "the statistics"))
		status = status ? status : EXIT_RUNTIME;
	running = NULL;
	px_pipeline_stop(p);
	px_pipeline_destroy(p);
	free(o.launch);
	return status;
}
