/* The `mmap` op of guest-memory.h. */
#define _GNU_SOURCE
#include "guest-memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000 /* v4.17 */
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* v5.14 */
#endif

const char *const backing_names[BACKING_COUNT] = { "4k", "thp", "hugetlb-2m", "hugetlb-1g" };

static uint64_t page_bytes(enum backing b)
{
	return b == BACKING_HUGETLB_2M ? 2ULL << 20 : b == BACKING_HUGETLB_1G ? 1ULL << 30 : 4096;
}

static int huge_flag(enum backing b)
{
	return b == BACKING_HUGETLB_2M ? MAP_HUGE_2MB : b == BACKING_HUGETLB_1G ? MAP_HUGE_1GB : 0;
}

static bool is_hugetlb(enum backing b)
{
	return b == BACKING_HUGETLB_2M || b == BACKING_HUGETLB_1G;
}

/* MAP_FIXED_NOREPLACE, or nothing: the region lands at uaddr or the op fails. */
static int map_at(const struct guest_region *g, struct answer *a, void **out)
{
	int flags = MAP_FIXED_NOREPLACE;
	int fd = -1;
	if (g->shared) {
		unsigned mfd = MFD_CLOEXEC | (is_hugetlb(g->backing) ? MFD_HUGETLB | (unsigned)huge_flag(g->backing) : 0);
		fd = TIMED(a, memfd_create("vdpa-probe-guest", mfd));
		if (fd < 0)
			return errno;
		if (TIMED(a, ftruncate(fd, (off_t)g->size)) != 0) {
			int err = errno;
			close(fd);
			return err;
		}
		flags |= MAP_SHARED;
	} else {
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		if (is_hugetlb(g->backing))
			flags |= MAP_HUGETLB | huge_flag(g->backing);
	}
	void *want = (void *)(uintptr_t)g->uaddr;
	void *p = TIMED(a, mmap(want, g->size, PROT_READ | PROT_WRITE, flags, fd, 0));
	int err = p == MAP_FAILED ? errno : 0;
	if (fd >= 0)
		close(fd); /* the mapping holds the memfd */
	if (err)
		return err;
	if (p != want) {
		/* A kernel before v4.17 takes MAP_FIXED_NOREPLACE as a hint and maps elsewhere. */
		TIMED(a, munmap(p, g->size));
		return EEXIST;
	}
	*out = p;
	return 0;
}

/*
 * Faults every page in, writable. MADV_POPULATE_WRITE (v5.14) does it in one
 * call; an older kernel answers EINVAL and gets one write per page instead.
 */
static int populate(const struct guest_region *g, struct answer *a, void *p)
{
	if (TIMED(a, madvise(p, g->size, MADV_POPULATE_WRITE)) == 0)
		return 0;
	if (errno != EINVAL)
		return errno;
	uint64_t t0 = monotonic_ns();
	uint64_t step = page_bytes(g->backing);
	for (uint64_t off = 0; off < g->size; off += step)
		((volatile char *)p)[off] = ((volatile char *)p)[off];
	a->ns += monotonic_ns() - t0;
	return 0;
}

/*
 * How many physically contiguous runs back the present pages of
 * [uaddr, uaddr + size) (an absent page ends a run): what vhost_vdpa_pa_map
 * turns into one IOTLB entry each. Read from /proc/self/pagemap (PFNs need
 * CAP_SYS_ADMIN: the guest's probe is root); 0 when PFNs are hidden or the
 * read fails. *present gets the present pages. Outside the timed region.
 */
uint64_t guest_physical_runs(uint64_t uaddr, uint64_t size, uint64_t *present)
{
	*present = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	enum { CHUNK = 4096 };
	static uint64_t buf[CHUNK];
	uint64_t first = uaddr / 4096, pages = size / 4096, runs = 0, prev = 0, seen = 0;
	bool after_gap = true;
	for (uint64_t done = 0; done < pages;) {
		uint64_t n = pages - done < CHUNK ? pages - done : CHUNK;
		ssize_t got = pread(fd, buf, n * 8, (off_t)((first + done) * 8));
		if (got != (ssize_t)(n * 8)) {
			close(fd);
			return 0;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t pfn = buf[i] & ((1ULL << 55) - 1);
			if (!(buf[i] >> 63)) {
				after_gap = true;
				continue;
			}
			if (pfn == 0) { /* present but hidden: no layout to read */
				close(fd);
				return 0;
			}
			if (after_gap || pfn != prev + 1)
				runs++;
			after_gap = false;
			prev = pfn;
			seen++;
		}
		done += n;
	}
	close(fd);
	*present = seen;
	return runs;
}

int guest_mmap(const struct guest_region *g, struct answer *a)
{
	void *p = NULL;
	int err = map_at(g, a, &p);
	if (err)
		return err;
	/* The THP choice must come before the first fault, so no MAP_POPULATE. */
	if (g->backing == BACKING_4K && TIMED(a, madvise(p, g->size, MADV_NOHUGEPAGE)) != 0)
		err = errno;
	if (!err && g->backing == BACKING_THP && TIMED(a, madvise(p, g->size, MADV_HUGEPAGE)) != 0)
		err = errno;
	if (!err && g->populate)
		err = populate(g, a, p);
	if (err) {
		TIMED(a, munmap(p, g->size));
		return err;
	}
	uint64_t present = 0;
	uint64_t runs = g->populate ? guest_physical_runs((uintptr_t)p, g->size, &present) : 0;
	/* Every page was faulted in: a missing one means the layout cannot be told. */
	if (runs && present == g->size / 4096)
		answer_extra_uint(a, "runs", runs);
	return 0;
}
