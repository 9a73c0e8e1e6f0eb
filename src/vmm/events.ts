/** The guest lifecycle events a cell runs, in order. */
export const EVENT_NAMES = ['boot', 'guest-reset', 'reboot', 'migrate-svq', 'stop-and-copy', 'close'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** Events that reset a running device and are what "per reset" averages over. */
export const RESET_EVENTS: readonly EventName[] = ['guest-reset', 'reboot'];

/** What each event does, for help text and README. */
export const EVENT_HELP: Record<EventName, string> = {
  boot: 'open every device, register the listener (map all RAM), DRIVER_OK',
  'guest-reset': 'the guest resets device 0 (virtio reset): stop, then start',
  reboot: 'system_reset: every device stops, then every device starts',
  'migrate-svq': 'switch every device to shadow virtqueues (new IOVAs from an IOVA tree) and back: two stops and starts, each remapping',
  'stop-and-copy': 'the VM stops for the final migration copy: every device stops and stays stopped until the next event',
  close: 'every device fd is closed (reset, unmap everything, .reset_map)',
};
