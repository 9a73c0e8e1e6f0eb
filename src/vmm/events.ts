/** The guest lifecycle events a cell runs, in order. */
export const EVENT_NAMES = ['boot', 'incoming', 'guest-reset', 'reboot', 'migrate-svq', 'svq-cancel', 'stop-and-copy', 'resume', 'close'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** Events that may open a cell's event list (each opens every device). */
export const FIRST_EVENTS: readonly EventName[] = ['boot', 'incoming'];

/** Events that reset a running device and are what "per reset" averages over. */
export const RESET_EVENTS: readonly EventName[] = ['guest-reset', 'reboot'];

/** Events that need QEMU's switch to shadow virtqueues at migration (8.2+: 8.0 and 8.1 block migration of a device with a CVQ). */
export const SVQ_EVENTS: readonly EventName[] = ['migrate-svq', 'svq-cancel'];

/** What each event does, for help text and README. */
export const EVENT_HELP: Record<EventName, string> = {
  boot: 'open every device (QEMU 10.1+ maps all RAM here, at vhost_vdpa_init), then start it: map what is missing, DRIVER_OK',
  incoming: 'open every device as a migration destination; the devices start at `resume` (the downtime). QEMU 10.1+ maps all RAM here, before the downtime; earlier releases map it at `resume`',
  'guest-reset': 'the guest resets device 0 (virtio reset): stop, then start',
  reboot: 'system_reset: every device stops, then every device starts',
  'migrate-svq': 'migration starts: every device stops and restarts with shadow virtqueues (new IOVAs from an IOVA tree), remapping everything (QEMU 8.2+; 8.0 and 8.1 block migration of a device with a CVQ)',
  'svq-cancel': 'migration failed or was cancelled: every device stops and restarts without shadow virtqueues (GPA IOVAs again), remapping everything (QEMU 8.2+)',
  'stop-and-copy': 'the VM stops for the final migration copy: every device stops and stays stopped until the next event',
  resume: 'every stopped device starts: the VM runs again (a destination after `incoming`, or a source whose stop-and-copy failed)',
  close: 'QEMU quits: every running device stops (vhost_net_stop), the listener is unregistered if still registered (vhost_vdpa_cleanup), every fd is closed',
};
