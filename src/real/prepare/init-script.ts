/**
 * The guest's /init (busybox sh). It loads the base modules, then for each job
 * in /jobs/list: reloads vdpa_sim, vdpa_sim_net and vhost_vdpa with the job's
 * parameters (unloading them between jobs is what makes parameters take
 * effect), creates the job's vdpasim_net devices with the `vdpa` tool (or
 * runs the job's own parent.sh for another parent), runs the
 * probe with the job's script on stdin, and sends the results to ttyS1 in
 * base64 frames (guest-protocol.ts). Then it powers off.
 *
 * A job whose parent is VDUSE (real/vduse.ts) also loads vduse with its
 * parameters and starts the VDUSE companion (native/vduse/), which creates
 * the devices; `vdpa dev add` then takes them from mgmtdev vduse. Each step
 * that fails is named: create, add, bind.
 */
import { FRAME_PREFIX, GUEST_PATHS } from '../guest-protocol.js';

/** How long the init waits for /dev/vhost-vdpa-K after `vdpa dev add`, in 0.1 s steps. */
const deviceWaitSteps = 100;

export function initScript(): string {
  const P = GUEST_PATHS;
  return `#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /dev/pts
# ttyS1 carries only our frames; raw so the tty adds no carriage returns.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec 3>/dev/ttyS1
say() { echo "${FRAME_PREFIX} $*" >&3; }
blob() { # id kind file
  say blob "$1" "$2"
  base64 "$3" >&3
  say blob-end
}
finish() { sync; poweroff -f; sleep 5; }
say boot
say release "$(uname -r)"
MODS=${P.modulesDir}/$(uname -r)
for m in $(cat ${P.baseOrder}); do
  if ! insmod "$MODS/$m.ko" 2>/tmp/insmod.err; then
    say base-error "insmod $m: $(tr '\\n' ' ' </tmp/insmod.err)"
    finish
  fi
done
BROKEN=""
run_job() {
  id="$1"; J=${P.jobsDir}/$id; err=""
  say job "$id" begin
  t0=$(cut -d' ' -f1 /proc/uptime)
  if [ -n "$BROKEN" ]; then say job "$id" setup-error "skipped: $BROKEN"; return; fi
  # Every job starts from compacted free memory: a guest mapped after earlier jobs otherwise
  # gets fragmented 4k pages (more IOTLB entries, more work per page) and its figures depend
  # on the jobs before it (a 2 GiB guest reset 2.9x slower than a 1 GiB one run first).
  sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; echo 1 >/proc/sys/vm/compact_memory 2>/dev/null
  dmesg -c >/dev/null
  n=$(cat $J/devices)
  PARENT=$(cat $J/parent 2>/dev/null); MGMT=vdpasim_net; VPID=""
  k=0
  # The platform-IOMMU parent brings its own setup (real/platform-iommu.ts): it loads its modules and
  # vhost_vdpa, adds vdpa0..vdpa$n-1 (k counts them) or sets err; the vdpa_sim steps below then do nothing.
  # VDUSE keeps vdpa_sim loaded as every job does, then adds its devices from mgmtdev vduse.
  if [ -f $J/parent.sh ]; then . $J/parent.sh
  elif ! insmod "$MODS/vdpa_sim.ko" $(cat $J/vdpa_sim.params) 2>/tmp/e; then err="insmod vdpa_sim $(cat $J/vdpa_sim.params): $(tr '\\n' ' ' </tmp/e)"
  elif ! insmod "$MODS/vdpa_sim_net.ko" 2>/tmp/e; then err="insmod vdpa_sim_net: $(tr '\\n' ' ' </tmp/e)"
  elif ! insmod "$MODS/vhost_vdpa.ko" $(cat $J/vhost_vdpa.params) 2>/tmp/e; then err="insmod vhost_vdpa $(cat $J/vhost_vdpa.params): $(tr '\\n' ' ' </tmp/e)"
  elif [ "$PARENT" = vduse ]; then
    MGMT=vduse
    if ! insmod "$MODS/vduse.ko" $(cat $J/vduse.params) 2>/tmp/e; then err="VDUSE create: insmod vduse $(cat $J/vduse.params): $(tr '\\n' ' ' </tmp/e)"
    else
      rm -f /tmp/vduse.ready
      ${P.vduseDev} --devices $n --vqs $(cat $J/vqs) --ready /tmp/vduse.ready 2>/tmp/vduse.err &
      VPID=$!
      while [ ! -e /tmp/vduse.ready ] && kill -0 $VPID 2>/dev/null; do usleep 20000; done
      [ -e /tmp/vduse.ready ] || { wait $VPID; VPID=""; err="$(tr '\\n' ' ' </tmp/vduse.err)"; }
    fi
  fi
  while [ -z "$err" ] && [ $k -lt $n ]; do
    if ! vdpa dev add mgmtdev $MGMT name vdpa$k 2>/tmp/e; then
      err="$([ $MGMT = vduse ] && echo 'VDUSE add: ')vdpa dev add vdpa$k: $(tr '\\n' ' ' </tmp/e)"
      break
    fi
    w=0
    while [ ! -c /dev/vhost-vdpa-$k ] && [ $w -lt ${deviceWaitSteps} ]; do usleep 100000; w=$((w+1)); done
    [ -c /dev/vhost-vdpa-$k ] || err="$([ $MGMT = vduse ] && echo 'VDUSE bind: ')/dev/vhost-vdpa-$k did not appear within ${deviceWaitSteps / 10} s after vdpa dev add"
    k=$((k+1))
  done
  if [ -n "$err" ]; then
    say job "$id" setup-error "$err"
    dmesg >/tmp/dmesg; blob "$id" dmesg /tmp/dmesg
  else
    set --
    while IFS= read -r a; do set -- "$@" "$a"; done <$J/args
    ${P.probe} "$@" <$J/script >/tmp/out 2>/tmp/err
    rc=$?
    say job "$id" exit $rc
    blob "$id" stdout /tmp/out
    blob "$id" stderr /tmp/err
    if [ $rc -ne 0 ]; then dmesg >/tmp/dmesg; blob "$id" dmesg /tmp/dmesg; fi
  fi
  terr=""
  k=$((k-1))
  while [ $k -ge 0 ]; do
    [ -e /sys/bus/vdpa/devices/vdpa$k ] && { vdpa dev del vdpa$k 2>/tmp/e || terr="$terr vdpa dev del vdpa$k: $(tr '\\n' ' ' </tmp/e)"; }
    k=$((k-1))
  done
  # The companion destroys its devices once vdpa dev del has detached them.
  if [ -n "$VPID" ]; then
    kill $VPID; wait $VPID || terr="$terr $(tr '\\n' ' ' </tmp/vduse.err)"
  fi
  for m in vhost_vdpa vdpa_sim_net vdpa_sim vduse; do
    [ -d /sys/module/$m ] && { rmmod $m 2>/tmp/e || terr="$terr rmmod $m: $(tr '\\n' ' ' </tmp/e)"; }
  done
  if [ -n "$terr" ]; then BROKEN="teardown of job $id failed:$terr"; say job "$id" teardown-error "$terr"; fi
  t1=$(cut -d' ' -f1 /proc/uptime)
  say job "$id" end "$t0" "$t1"
}
for id in $(cat ${P.jobList} 2>/dev/null); do run_job "$id"; done
say done
finish
`;
}
