/*
 * Guest memory for the `mmap` op: anonymous (or memfd-backed shared) memory
 * at exactly the script's uaddr, backed the way the script asks, populated
 * so that a later UPDATE pins pages that exist.
 */
#ifndef VDPA_PROBE_GUEST_MEMORY_H
#define VDPA_PROBE_GUEST_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "answer.h"

enum backing { BACKING_4K, BACKING_THP, BACKING_HUGETLB_2M, BACKING_HUGETLB_1G, BACKING_COUNT };
extern const char *const backing_names[BACKING_COUNT];

struct guest_region {
	uint64_t uaddr;
	uint64_t size;
	enum backing backing;
	bool shared;   /* a memfd mapped MAP_SHARED: vhost-vdpa's VA mode maps only shared file VMAs */
	bool populate; /* fault every page in before answering */
};

/*
 * Maps the region, timing every syscall into a->ns. Returns 0, or the errno
 * of the step that failed (the region is then unmapped again): EEXIST when
 * something is already mapped there.
 */
int guest_mmap(const struct guest_region *g, struct answer *a);

/*
 * How many physically contiguous runs back the present pages of
 * [uaddr, uaddr + size), an absent page ending a run: what
 * vhost_vdpa_pa_map turns into one IOTLB entry each. 0 when PFNs are hidden
 * (they need CAP_SYS_ADMIN). *present gets how many pages are present.
 */
uint64_t guest_physical_runs(uint64_t uaddr, uint64_t size, uint64_t *present);

#endif
