/**
 * The inner guest's /init (busybox sh), run by the real QEMU inside the
 * kernel VM. It loads virtio_net, brings eth0 up, then N times unbinds and
 * rebinds the virtio_net driver: each unbind is a device reset (virtio_dev_remove
 * -> virtio_reset_device: SET_STATUS 0 to QEMU, which stops vhost-vdpa) and each
 * bind a new start (DRIVER_OK). Every step is one console line stamped with
 * the guest's own clock (/proc/uptime, 10 ms), which guest-timeline.ts reads:
 *
 *   @@GUEST <uptime-seconds> <step> [<reset number>] [detail]
 *
 * Steps: init, modules, link-up K, tx-done K (TX completed: virtio_net counts
 * tx_packets as the device hands buffers back), tx-timeout K, unbind K,
 * unbound K, queue-sizes K <sizes>, bound K, fail <what>, poweroff. K = 0 is
 * the first bring-up. The reset count comes on the kernel command line as
 * vdpalab.resets=N; vdpalab.vqsizes=A,B,C (with iomem=relaxed, so /dev/mem
 * may reach a BAR virtio_pci holds) asks for the virtqueue sizes a release
 * needs (releases.ts, guestQueueSizes), written before every bind.
 */

export const GUEST_STAMP = '@@GUEST';

/** Modules the inner guest loads, in order (Debian builds virtio and virtio_pci in; virtio_net needs the failover pair). */
export const INNER_MODULES = ['failover', 'net_failover', 'virtio_net'] as const;

/**
 * How long each wait may take, in seconds of the guest's clock (not loop turns:
 * under nested TCG one turn of a shell loop takes a second or more).
 */
const waitS = { device: 300, carrier: 300, tx: 60 } as const;

/**
 * set_queue_sizes PCI-DIR SIZES: finds the virtio-pci common config (the
 * vendor capability with cfg_type 1, VIRTIO_PCI_CAP_COMMON_CFG: its BAR and
 * offset) in the device's PCI config space, then for queue 0, 1, ... writes
 * queue_select (0x16) and queue_size (0x18) through /dev/mem and reads the
 * size back. A virtio 1 driver may shrink a queue this way; Linux's
 * virtio_pci_modern then takes it as the queue's size. QEMU puts every
 * size back at a device reset, so it runs before each bind (the common
 * config's address is kept from the first call). Returns 1 when the
 * capability is missing or a size did not stick.
 */
export const SET_QUEUE_SIZES_SH = `qs_base=
set_queue_sizes() {
  qs_cfg=$1/config
  qs_b() { od -An -tu1 -j $1 -N1 "$qs_cfg" | tr -d ' '; }
  qs_l() { od -An -tu4 -j $1 -N4 "$qs_cfg" | tr -d ' '; }
  # Found once: under nested TCG every od is a second or more of the reset's downtime.
  [ -n "$qs_base" ] || qs_p=$(qs_b 52)
  while [ -z "$qs_base" ] && [ -n "$qs_p" ] && [ "$qs_p" -ne 0 ]; do
    if [ "$(qs_b $qs_p)" = 9 ] && [ "$(qs_b $((qs_p + 3)))" = 1 ]; then
      qs_start=$(sed -n "$(($(qs_b $((qs_p + 4))) + 1))p" "$1/resource" | cut -d' ' -f1)
      qs_base=$((qs_start + $(qs_l $((qs_p + 8)))))
      break
    fi
    qs_p=$(qs_b $((qs_p + 1)))
  done
  [ -n "$qs_base" ] || return 1
  qs_q=0
  qs_ifs=$IFS; IFS=,; set -- $2; IFS=$qs_ifs
  for qs_n; do
    devmem $((qs_base + 22)) 16 $qs_q
    devmem $((qs_base + 24)) 16 $qs_n
    [ $(($(devmem $((qs_base + 24)) 16))) -eq $qs_n ] || return 1
    qs_q=$((qs_q + 1))
  done
}`;

export function innerInitScript(): string {
  return `#!/bin/sh
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The stamps go to the serial console, whatever the kernel gave /init as stdout.
exec >/dev/ttyS0 2>&1
stamp() { echo "${GUEST_STAMP} $(cut -d' ' -f1 /proc/uptime) $*"; }
fail() { stamp fail "$*"; sync; poweroff -f; sleep 30; }
N=$(sed -n 's/.*vdpalab\\.resets=\\([0-9]*\\).*/\\1/p' /proc/cmdline)
[ -n "$N" ] || N=1
QS=$(sed -n 's/.*vdpalab\\.vqsizes=\\([0-9,]*\\).*/\\1/p' /proc/cmdline)
stamp init
${SET_QUEUE_SIZES_SH}
# The virtio device (virtio_pci is built in): its PCI directory holds the config space and the BARs.
VDEV=$(ls /sys/bus/virtio/devices | head -n 1)
[ -n "$VDEV" ] || fail "no virtio device"
PCI=$(dirname "$(readlink -f /sys/bus/virtio/devices/$VDEV)")
queue_sizes() {
  [ -n "$QS" ] || return 0
  set_queue_sizes "$PCI" "$QS" || fail "queue sizes $QS on $PCI (reset $1)"
  stamp queue-sizes $1 $QS
}
queue_sizes 0
for m in ${INNER_MODULES.join(' ')}; do insmod /lib/modules/$m.ko || fail "insmod $m"; done
stamp modules
now() { cut -d. -f1 /proc/uptime; }
wait_for() { # condition, seconds
  end=$(( $(now) + $2 ))
  while ! eval "$1"; do [ "$(now)" -ge $end ] && return 1; usleep 10000; done
}
bring_up() {
  wait_for '[ -e /sys/class/net/eth0 ]' ${waitS.device} || fail "eth0 did not appear (reset $1)"
  ip addr add 10.0.2.15/24 dev eth0
  ip link set eth0 up || fail "ip link set eth0 up (reset $1)"
  wait_for '[ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 1 ]' ${waitS.carrier} || fail "no carrier on eth0 (reset $1)"
  stamp link-up $1
  tx0=$(cat /sys/class/net/eth0/statistics/tx_packets)
  # One ARP request: vdpa_sim_net completes every TX buffer (it loops frames back to RX or drops them).
  arping -q -c 1 -w 1 -I eth0 10.0.2.2 >/dev/null 2>&1 &
  if wait_for '[ "$(cat /sys/class/net/eth0/statistics/tx_packets)" -gt "$tx0" ]' ${waitS.tx}; then stamp tx-done $1; else stamp tx-timeout $1; fi
}
bring_up 0
i=1
while [ $i -le $N ]; do
  stamp unbind $i
  echo "$VDEV" > /sys/bus/virtio/drivers/virtio_net/unbind || fail "unbind $VDEV (reset $i)"
  stamp unbound $i
  # The unbind reset the device (virtnet_remove), and QEMU's reset put its queue sizes back.
  queue_sizes $i
  echo "$VDEV" > /sys/bus/virtio/drivers/virtio_net/bind || fail "bind $VDEV (reset $i)"
  stamp bound $i
  bring_up $i
  i=$((i+1))
done
stamp poweroff
sync
poweroff -f
sleep 30
`;
}
