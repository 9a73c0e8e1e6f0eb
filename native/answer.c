/* The answer writer of answer.h, the errno names, and the VmPin reader. */
#define _GNU_SOURCE
#include "answer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#define NAME(e) [e] = #e
static const char *const errno_names[] = {
	NAME(EPERM), NAME(ENOENT), NAME(ESRCH), NAME(EINTR), NAME(EIO), NAME(ENXIO), NAME(E2BIG),
	NAME(ENOEXEC), NAME(EBADF), NAME(ECHILD), NAME(EAGAIN), NAME(ENOMEM), NAME(EACCES), NAME(EFAULT),
	NAME(ENOTBLK), NAME(EBUSY), NAME(EEXIST), NAME(EXDEV), NAME(ENODEV), NAME(ENOTDIR), NAME(EISDIR),
	NAME(EINVAL), NAME(ENFILE), NAME(EMFILE), NAME(ENOTTY), NAME(ETXTBSY), NAME(EFBIG), NAME(ENOSPC),
	NAME(ESPIPE), NAME(EROFS), NAME(EMLINK), NAME(EPIPE), NAME(EDOM), NAME(ERANGE), NAME(EDEADLK),
	NAME(ENAMETOOLONG), NAME(ENOLCK), NAME(ENOSYS), NAME(ENOTEMPTY), NAME(ELOOP), NAME(ENOMSG),
	NAME(EIDRM), NAME(ENODATA), NAME(ETIME), NAME(EOVERFLOW), NAME(EBADFD), NAME(EMSGSIZE),
	NAME(EOPNOTSUPP), NAME(EADDRINUSE), NAME(ENOBUFS), NAME(ETIMEDOUT), NAME(EALREADY),
	NAME(EINPROGRESS), NAME(ECANCELED), NAME(EOWNERDEAD), NAME(ENOTRECOVERABLE), NAME(ERFKILL),
	NAME(EHWPOISON),
};

const char *errno_name(int err, char buf[16])
{
	if (err > 0 && (size_t)err < sizeof(errno_names) / sizeof(errno_names[0]) && errno_names[err])
		return errno_names[err];
	snprintf(buf, 16, "E%d", err);
	return buf;
}

static int status_fd = -1;

void pinned_open(void)
{
	status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (status_fd < 0) {
		fprintf(stderr, "internal error: cannot open /proc/self/status (%s): pinnedVm needs /proc mounted\n",
			strerror(errno));
		exit(1);
	}
}

void pinned_close(void)
{
	if (status_fd >= 0)
		close(status_fd);
	status_fd = -1;
}

long pinned_pages(void)
{
	char buf[8192];
	size_t have = 0;
	for (;;) {
		ssize_t n = pread(status_fd, buf + have, sizeof(buf) - 1 - have, (off_t)have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_internal("cannot read /proc/self/status");
		}
		if (n == 0 || have + (size_t)n == sizeof(buf) - 1) {
			have += (size_t)n;
			break;
		}
		have += (size_t)n;
	}
	buf[have] = '\0';
	const char *p = strstr(buf, "\nVmPin:");
	if (!p)
		return -1;
	return strtol(p + strlen("\nVmPin:"), NULL, 10) / 4; /* kB -> 4 KiB pages */
}

void answer_emit(struct answer *a)
{
	long pinned = pinned_pages();
	char ebuf[16];
	struct sbuf out = { 0 };
	sbuf_printf(&out, "{\"line\":%d,\"op\":", a->line);
	sbuf_json_string(&out, a->op, strlen(a->op));
	if (a->err)
		sbuf_printf(&out, ",\"ret\":-1,\"errno\":\"%s\"", errno_name(a->err, ebuf));
	else
		sbuf_puts(&out, ",\"ret\":0,\"errno\":null");
	sbuf_printf(&out, ",\"cause\":null,\"ns\":%llu,\"pinnedVm\":", (unsigned long long)a->ns);
	if (pinned < 0)
		sbuf_puts(&out, "null");
	else
		sbuf_printf(&out, "%ld", pinned);
	sbuf_put(&out, sbuf_str(&a->extras), a->extras.len);
	sbuf_puts(&out, "}\n");
	size_t len = out.len;
	size_t written = fwrite(out.data, 1, len, stdout);
	sbuf_free(&out);
	sbuf_free(&a->extras);
	if (written != len || fflush(stdout) != 0)
		die_internal("cannot write the answers to stdout");
}

void answer_extra_string(struct answer *a, const char *key, const char *value)
{
	sbuf_printf(&a->extras, ",\"%s\":", key);
	sbuf_json_string(&a->extras, value, strlen(value));
}

void answer_extra_uint(struct answer *a, const char *key, uint64_t v)
{
	sbuf_printf(&a->extras, ",\"%s\":%llu", key, (unsigned long long)v);
}

void answer_extra_hex(struct answer *a, const char *key, uint64_t v)
{
	sbuf_printf(&a->extras, ",\"%s\":\"", key);
	sbuf_hex(&a->extras, v);
	sbuf_putc(&a->extras, '"');
}
