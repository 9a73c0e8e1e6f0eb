/*
 * The vhost-vdpa uapi the probe speaks: include/uapi/linux/vhost.h and
 * vhost_types.h. Whatever an older build machine's headers lack is defined
 * here with the kernel's own values, so the probe built against them still
 * sends the ioctls a newer guest kernel knows.
 */
#ifndef VDPA_PROBE_VHOST_UAPI_H
#define VDPA_PROBE_VHOST_UAPI_H

#include <linux/vhost.h>
#include <linux/vhost_types.h>
#include <stddef.h>

#ifndef VHOST_VIRTIO
#define VHOST_VIRTIO 0xAF
#endif
#ifndef VHOST_SET_OWNER
#define VHOST_SET_OWNER _IO(VHOST_VIRTIO, 0x01)
#endif
#ifndef VHOST_SET_BACKEND_FEATURES
#define VHOST_SET_BACKEND_FEATURES _IOW(VHOST_VIRTIO, 0x25, __u64)
#endif
#ifndef VHOST_GET_BACKEND_FEATURES
#define VHOST_GET_BACKEND_FEATURES _IOR(VHOST_VIRTIO, 0x26, __u64)
#endif
#ifndef VHOST_VDPA_GET_STATUS
#define VHOST_VDPA_GET_STATUS _IOR(VHOST_VIRTIO, 0x71, __u8)
#endif
#ifndef VHOST_VDPA_SET_STATUS
#define VHOST_VDPA_SET_STATUS _IOW(VHOST_VIRTIO, 0x72, __u8)
#endif

/* struct vhost_vdpa_iova_range: v5.10. */
struct probe_iova_range {
	__u64 first;
	__u64 last;
};
#ifndef VHOST_VDPA_GET_IOVA_RANGE
#define VHOST_VDPA_GET_IOVA_RANGE _IOR(VHOST_VIRTIO, 0x78, struct probe_iova_range)
#endif
#ifndef VHOST_SET_FEATURES
#define VHOST_SET_FEATURES _IOW(VHOST_VIRTIO, 0x00, __u64)
#endif
/* struct vhost_vring_state {index: VQ in, num: its group out}: v5.19. */
#ifndef VHOST_VDPA_GET_VRING_GROUP
#define VHOST_VDPA_GET_VRING_GROUP _IOWR(VHOST_VIRTIO, 0x7B, struct vhost_vring_state)
#endif
/* Takes struct vhost_vring_state {index: group, num: asid}: v5.19. */
#ifndef VHOST_VDPA_SET_GROUP_ASID
#define VHOST_VDPA_SET_GROUP_ASID _IOW(VHOST_VIRTIO, 0x7C, struct vhost_vring_state)
#endif
#ifndef VHOST_VDPA_SUSPEND
/* include/uapi/linux/vhost.h, v6.0+. */
#define VHOST_VDPA_SUSPEND _IO(VHOST_VIRTIO, 0x7D)
#endif
#ifndef VHOST_VDPA_RESUME
/* include/uapi/linux/vhost.h, v6.4+. */
#define VHOST_VDPA_RESUME _IO(VHOST_VIRTIO, 0x7E)
#endif

/* struct vhost_msg(_v2).type */
#ifndef VHOST_IOTLB_MSG
#define VHOST_IOTLB_MSG 0x1
#endif
#ifndef VHOST_IOTLB_MSG_V2
#define VHOST_IOTLB_MSG_V2 0x2
#endif

/* struct vhost_iotlb_msg.type */
#define PROBE_IOTLB_UPDATE 2
#define PROBE_IOTLB_INVALIDATE 3
#define PROBE_IOTLB_BATCH_BEGIN 5
#define PROBE_IOTLB_BATCH_END 6

/*
 * The two write() layouts of vhost_chr_write_iter (drivers/vhost/vhost.c):
 * v1 is an int type, padding to the union's 8-byte alignment, then the
 * message; v2 puts the ASID where v1 has padding. Both are 72 bytes and the
 * kernel answers a good write with exactly that count.
 */
struct probe_iotlb_msg {
	__u64 iova;
	__u64 size;
	__u64 uaddr;
	__u8 perm;
	__u8 type;
};
struct probe_msg_v1 {
	int type;
	union {
		struct probe_iotlb_msg iotlb;
		__u8 padding[64];
	};
};
struct probe_msg_v2 {
	__u32 type;
	__u32 asid;
	union {
		struct probe_iotlb_msg iotlb;
		__u8 padding[64];
	};
};

_Static_assert(sizeof(struct probe_msg_v1) == sizeof(struct vhost_msg), "v1 layout matches <linux/vhost_types.h>");
_Static_assert(offsetof(struct probe_msg_v1, iotlb) == offsetof(struct vhost_msg, iotlb), "v1 offset");
_Static_assert(sizeof(struct probe_msg_v2) == 72, "v2 layout is 72 bytes");
_Static_assert(offsetof(struct probe_msg_v2, iotlb) == 8, "v2 iotlb offset");
_Static_assert(sizeof(struct probe_iotlb_msg) == sizeof(struct vhost_iotlb_msg), "iotlb msg layout");

/* VHOST_BACKEND_F_* bit numbers, in the model's order (src/kernel/uapi.ts). */
#define PROBE_BACKEND_FEATURE_COUNT 8
extern const char *const probe_feature_names[PROBE_BACKEND_FEATURE_COUNT];
extern const unsigned probe_feature_bits[PROBE_BACKEND_FEATURE_COUNT];

/* VIRTIO_CONFIG_S_* names and values, in the model's order. */
#define PROBE_STATUS_NAME_COUNT 6
extern const char *const probe_status_names[PROBE_STATUS_NAME_COUNT];
extern const unsigned probe_status_values[PROBE_STATUS_NAME_COUNT];

#endif
