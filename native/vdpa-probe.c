/*
 * vdpa-probe: runs a vdpa-lab `exec` script (JSON lines on stdin) against a
 * real kernel's /dev/vhost-vdpa-N, one answer per op on stdout, so the lab
 * can set the kernel's answers beside its model's (issue #11).
 *
 *   vdpa-probe [--device NAME=PATH]... [--no-populate] < script.jsonl
 *
 * Exit 0 when every line ran (kernel errors are answers), 2 on a malformed
 * line or argument (one line on stderr), 1 on an internal failure.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "fields.h"
#include "json.h"
#include "ops.h"

static const char usage[] =
	"usage: vdpa-probe [--device NAME=PATH]... [--no-populate] < SCRIPT.jsonl\n"
	"Runs a vdpa-lab exec script against a real vhost-vdpa device; one JSON answer per line.\n"
	"  --device NAME=PATH  the path `open` uses for device NAME (default: vdpaK -> /dev/vhost-vdpa-K)\n"
	"  --no-populate       mmap leaves guest memory unpopulated unless a line says populate:true\n"
	"Exit codes: 0 script ran, 1 internal failure, 2 malformed line or argument.\n";

/* Everything main owns, released at exit() from wherever the probe exits. */
static struct {
	struct session session;
	struct device_path *paths;
	json_t *line; /* the line being run: a bad field exits from inside its op */
	char *text;
} probe;

static void release(void)
{
	session_free(&probe.session);
	free(probe.paths);
	json_decref(probe.line);
	free(probe.text);
	scratch_release();
	pinned_close();
}

static void bad_argument(const char *fmt, const char *arg)
{
	fputs("error: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(EXIT_BAD_INPUT);
}

static void parse_arguments(int argc, char **argv)
{
	probe.session.populate_default = true;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(usage, stdout);
			exit(0);
		} else if (strcmp(arg, "--no-populate") == 0) {
			probe.session.populate_default = false;
		} else if (strcmp(arg, "--device") == 0 || strncmp(arg, "--device=", 9) == 0) {
			const char *spec = arg[8] == '=' ? arg + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!spec)
				bad_argument("--device: needs NAME=PATH, e.g. --device vdpa0=/dev/vhost-vdpa-0%s", "");
			const char *eq = strchr(spec, '=');
			if (!eq || eq == spec || eq[1] == '\0')
				bad_argument("--device: expected NAME=PATH, e.g. vdpa0=/dev/vhost-vdpa-0, got '%s'", spec);
			struct device_path *grown = realloc(probe.paths, (probe.session.npaths + 1) * sizeof(*grown));
			if (!grown)
				die_internal("out of memory");
			probe.paths = grown;
			/* NAME points into argv: cut it at '=' in place. */
			argv[i][eq - argv[i]] = '\0';
			probe.paths[probe.session.npaths].name = argv[i] + (spec - argv[i]);
			probe.paths[probe.session.npaths].path = eq + 1;
			probe.session.npaths++;
		} else {
			bad_argument("unknown argument '%s' (see --help)", arg);
		}
	}
	probe.session.paths = probe.paths;
}

int main(int argc, char **argv)
{
	atexit(release);
	parse_arguments(argc, argv);
	pinned_open();
	size_t cap = 0;
	ssize_t n;
	int line_no = 0;
	while ((n = getline(&probe.text, &cap, stdin)) >= 0) {
		line_no++;
		size_t len = (size_t)n;
		if (len && probe.text[len - 1] == '\n')
			len--;
		size_t start, end;
		js_trim(probe.text, len, &start, &end);
		if (start == end || probe.text[start] == '#')
			continue;
		struct line l = { .no = line_no };
		struct sbuf err = { 0 };
		probe.line = json_parse_line(probe.text + start, end - start, &err);
		l.obj = probe.line;
		if (!l.obj) {
			char *reason = strdup(sbuf_str(&err));
			sbuf_free(&err);
			if (!reason)
				die_internal("out of memory");
			fflush(stdout);
			fprintf(stderr, "error: line %d: not valid JSON (%s)\n", line_no, reason);
			free(reason);
			exit(EXIT_BAD_INPUT);
		}
		if (!json_is_object(l.obj))
			line_fail(&l, NULL, "must be a JSON object");
		session_run_line(&probe.session, &l);
		json_decref(probe.line);
		probe.line = NULL;
	}
	if (ferror(stdin))
		die_internal("cannot read the script from stdin");
	return 0;
}
