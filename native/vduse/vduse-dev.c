/*
 * vduse-dev: the userspace half of the VDUSE parent (issue #29). In the lab's
 * guest it creates N virtio-net VDUSE devices through /dev/vduse/control
 * (drivers/vdpa/vdpa_user/vduse_dev.c), then serves their control messages
 * while the probe runs a script on the vhost-vdpa devices the guest's /init
 * makes of them (`vdpa dev add mgmtdev vduse name vdpaK`).
 *
 *   vduse-dev --devices N --vqs Q --ready FILE
 *
 * Steps, each named in the one line it prints when it fails:
 *   create   VDUSE_SET_API_VERSION 0, VDUSE_CREATE_DEV (virtio-net, VERSION_1 |
 *            ACCESS_PLATFORM | MAC), open /dev/vduse/vdpaK, VDUSE_VQ_SETUP per vq
 *   serve    answer every request: VDUSE_SET_STATUS and VDUSE_UPDATE_IOTLB with
 *            OK, VDUSE_GET_VQ_STATE with the state vhost-vdpa last set
 *            (VDUSE_VQ_GET_INFO: a device that processed nothing); rings are
 *            never read (the scripts only map and reset)
 *   destroy  on SIGTERM: close each device fd, VDUSE_DESTROY_DEV (the /init
 *            deletes the vdpa devices first: a device still attached is EBUSY)
 * FILE is created once every device is set up: the /init waits for it.
 *
 * API version 0 on every kernel: one virtqueue group and one address space,
 * the device the model's VDUSE parent is (7.x's API v1 groups are not modeled).
 * The uAPI is the build host's <linux/vduse.h>; version 0's layout has not
 * changed since v5.15 (test/vduse-uapi.test.ts checks the values used here).
 *
 * Exit 0 after a clean destroy, 1 when a step fails, 2 on a bad argument.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vduse.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_DEVICES 16
/* Ring size each virtqueue offers (VDUSE_VQ_SETUP max_size); vdpa_sim_net's is 256 too. */
#define VQ_MAX_SIZE 256
/* vq_align: a page, as vdpa_sim (VDPASIM_QUEUE_ALIGN) and QEMU's VDUSE examples use. */
#define VQ_ALIGN 4096
/* How long to wait for udev-less devtmpfs to show /dev/vduse/NAME, in 10 ms steps. */
#define NODE_WAIT_STEPS 500

static const char usage[] = "usage: vduse-dev --devices N --vqs Q --ready FILE\n";

static int control_fd = -1;
static int dev_fds[MAX_DEVICES];
static unsigned ndev;
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void fail(const char *step, unsigned k, const char *what)
{
	fprintf(stderr, "VDUSE %s vdpa%u: %s: %s\n", step, k, what, strerror(errno));
	exit(1);
}

static void name_of(unsigned k, char *name)
{
	memset(name, 0, VDUSE_NAME_MAX);
	snprintf(name, VDUSE_NAME_MAX, "vdpa%u", k);
}

static void create_device(unsigned k, unsigned nvqs)
{
	size_t size = sizeof(struct vduse_dev_config) + sizeof(struct virtio_net_config);
	struct vduse_dev_config *c = calloc(1, size);
	if (!c) fail("create", k, "calloc");
	name_of(k, c->name);
	c->device_id = VIRTIO_ID_NET;
	/* ACCESS_PLATFORM is required (features_is_valid), VERSION_1 too for net (v6.8+); CTRL_VQ is refused there. */
	c->features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) | (1ULL << VIRTIO_NET_F_MAC);
	c->vq_num = nvqs;
	c->vq_align = VQ_ALIGN;
	c->config_size = sizeof(struct virtio_net_config);
	struct virtio_net_config *net = (struct virtio_net_config *)c->config;
	const unsigned char mac[6] = { 0x52, 0x54, 0x00, 0x29, 0x00, (unsigned char)k };
	memcpy(net->mac, mac, sizeof(mac));
	if (ioctl(control_fd, VDUSE_CREATE_DEV, c) < 0) fail("create", k, "VDUSE_CREATE_DEV");
	free(c);

	char path[64];
	snprintf(path, sizeof(path), "/dev/vduse/vdpa%u", k);
	int fd = -1;
	for (int w = 0; w < NODE_WAIT_STEPS && fd < 0; w++) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) usleep(10000);
		else if (fd < 0) break;
	}
	if (fd < 0) fail("create", k, "open /dev/vduse/vdpaK");
	dev_fds[k] = fd;
	for (unsigned i = 0; i < nvqs; i++) {
		struct vduse_vq_config vq;
		memset(&vq, 0, sizeof(vq));
		vq.index = i;
		vq.max_size = VQ_MAX_SIZE;
		if (ioctl(fd, VDUSE_VQ_SETUP, &vq) < 0) fail("create", k, "VDUSE_VQ_SETUP");
	}
}

/* One request in, one response out. Returns 0, or -1 with errno when the fd failed. */
static int serve_one(unsigned k)
{
	struct vduse_dev_request req;
	struct vduse_dev_response resp;
	ssize_t n = read(dev_fds[k], &req, sizeof(req));
	if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	if ((size_t)n != sizeof(req)) {
		errno = EIO;
		return -1;
	}
	memset(&resp, 0, sizeof(resp));
	resp.request_id = req.request_id;
	resp.result = VDUSE_REQ_RESULT_OK;
	switch (req.type) {
	case VDUSE_GET_VQ_STATE: {
		struct vduse_vq_info info;
		memset(&info, 0, sizeof(info));
		info.index = req.vq_state.index;
		resp.vq_state.index = req.vq_state.index;
		if (ioctl(dev_fds[k], VDUSE_VQ_GET_INFO, &info) == 0) resp.vq_state.split.avail_index = info.split.avail_index;
		else resp.result = VDUSE_REQ_RESULT_FAILED;
		break;
	}
	case VDUSE_SET_STATUS:
	case VDUSE_UPDATE_IOTLB:
		break;
	default:
		/* A request this API version does not define. */
		resp.result = VDUSE_REQ_RESULT_FAILED;
	}
	if (write(dev_fds[k], &resp, sizeof(resp)) != (ssize_t)sizeof(resp)) return -1;
	return 0;
}

static void serve(void)
{
	struct pollfd pfd[MAX_DEVICES];
	while (!stop) {
		for (unsigned k = 0; k < ndev; k++) pfd[k] = (struct pollfd){ .fd = dev_fds[k], .events = POLLIN };
		int r = poll(pfd, ndev, 1000);
		if (r < 0) {
			if (errno == EINTR) continue;
			fail("serve", 0, "poll");
		}
		for (unsigned k = 0; k < ndev; k++) {
			if (pfd[k].revents & POLLERR) {
				errno = EIO;
				fail("serve", k, "the kernel marked the device broken (a request timed out)");
			}
			if ((pfd[k].revents & POLLIN) && serve_one(k) < 0) fail("serve", k, "read/write of a request");
		}
	}
}

static int destroy_all(void)
{
	int rc = 0;
	for (unsigned k = 0; k < ndev; k++) {
		char name[VDUSE_NAME_MAX];
		close(dev_fds[k]);
		name_of(k, name);
		if (ioctl(control_fd, VDUSE_DESTROY_DEV, name) < 0) {
			fprintf(stderr, "VDUSE destroy vdpa%u: VDUSE_DESTROY_DEV: %s\n", k, strerror(errno));
			rc = 1;
		}
	}
	return rc;
}

static unsigned number(const char *flag, const char *s, unsigned max)
{
	char *end;
	unsigned long v = s ? strtoul(s, &end, 10) : 0;
	if (!s || *end || v < 1 || v > max) {
		fprintf(stderr, "error: %s must be an integer from 1 to %u\n%s", flag, max, usage);
		exit(2);
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	unsigned nvqs = 0;
	const char *ready = NULL;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--devices") == 0) ndev = number("--devices", v, MAX_DEVICES), i++;
		else if (strcmp(argv[i], "--vqs") == 0) nvqs = number("--vqs", v, 0xffff), i++;
		else if (strcmp(argv[i], "--ready") == 0 && v) ready = v, i++;
		else {
			fprintf(stderr, "error: unknown argument '%s'\n%s", argv[i], usage);
			return 2;
		}
	}
	if (!ndev || !nvqs || !ready) {
		fputs(usage, stderr);
		return 2;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	control_fd = open("/dev/vduse/control", O_RDWR | O_CLOEXEC);
	if (control_fd < 0) fail("create", 0, "open /dev/vduse/control (is vduse loaded?)");
	__u64 api = 0;
	if (ioctl(control_fd, VDUSE_SET_API_VERSION, &api) < 0) fail("create", 0, "VDUSE_SET_API_VERSION 0");
	for (unsigned k = 0; k < ndev; k++) create_device(k, nvqs);
	int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) fail("create", 0, "the ready file");
	close(fd);
	serve();
	return destroy_all();
}
