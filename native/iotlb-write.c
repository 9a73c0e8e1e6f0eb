/* The IOTLB message ops (iotlb-write.h): one write() of the layout vhost_chr_write_iter reads. */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include "iotlb-write.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vhost-uapi.h"

#define U32_MAX_INT 4294967295LL

/*
 * One write() of an IOTLB message, as vhost_chr_write_iter reads it. msgType
 * 1 sends the v1 layout (no ASID); any other value is sent as v2, and the
 * kernel refuses a type it does not know: that refusal is what the script asks.
 */
static void write_iotlb(struct probe_device *d, struct answer *a, unsigned msg_type, uint32_t asid, uint64_t iova,
			uint64_t size, uint64_t uaddr, unsigned perm, unsigned type)
{
	struct probe_iotlb_msg m = { .iova = iova, .size = size, .uaddr = uaddr, .perm = (__u8)perm, .type = (__u8)type };
	struct probe_msg_v1 v1;
	struct probe_msg_v2 v2;
	const void *buf;
	size_t len;
	if (msg_type == VHOST_IOTLB_MSG) {
		memset(&v1, 0, sizeof(v1));
		v1.type = (int)msg_type;
		v1.iotlb = m;
		buf = &v1;
		len = sizeof(v1);
	} else {
		memset(&v2, 0, sizeof(v2));
		v2.type = msg_type;
		v2.asid = asid;
		v2.iotlb = m;
		buf = &v2;
		len = sizeof(v2);
	}
	/*
	 * Page faults the write took: pin_user_pages faulting in guest RAM that has
	 * no frame yet (mm_account_fault counts GUP's faults in the thread's
	 * min_flt too). Read outside the timed window.
	 */
	struct rusage before, after;
	getrusage(RUSAGE_THREAD, &before);
	ssize_t n = TIMED(a, write(d->fd, buf, len));
	int saved = errno;
	getrusage(RUSAGE_THREAD, &after);
	answer_extra_uint(a, "faults", (uint64_t)((after.ru_minflt - before.ru_minflt) + (after.ru_majflt - before.ru_majflt)));
	errno = saved;
	if (n < 0)
		a->err = errno;
	else if ((size_t)n != len)
		die_internal("the kernel took part of an IOTLB message (a short write)");
}

/* The model's msg(): fields in its order; with_map makes uaddr and perm required. */
void op_iotlb_message(struct probe_device *d, const struct line *l, struct answer *a, unsigned type, bool with_map)
{
	unsigned msg_type = (unsigned)field_int_or(l, "msgType", 0, 255, VHOST_IOTLB_MSG_V2);
	uint32_t asid = (uint32_t)field_int_or(l, "asid", 0, U32_MAX_INT, 0);
	uint64_t iova = field_u64_or(l, "iova", 0);
	uint64_t size = field_u64_or(l, "size", 0);
	uint64_t uaddr = with_map ? field_u64(l, "uaddr") : field_u64_or(l, "uaddr", 0);
	unsigned perm = with_map ? field_perm(l) : field_has(l, "perm") ? field_perm(l) : 0;
	write_iotlb(d, a, msg_type, asid, iova, size, uaddr, perm, type);
}

