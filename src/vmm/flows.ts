/**
 * How the VMM handles a device reset. The three flows differ in two choices
 * only: whether PERSIST is acked at open, and whether the listener is
 * unregistered (INVALIDATE everything) when the device stops.
 *
 *  - workaround: what every QEMU release does (docs/domain.md, "QEMU", Flows): stop ->
 *    SET_STATUS 0 -> INVALIDATE all -> ... -> UPDATE all (re-pin) -> DRIVER_OK.
 *  - persist: the Dec 2023 series: ack IOTLB_PERSIST, keep the listener; a
 *    reset is SET_STATUS 0 alone. Not applicable where PERSIST is not offered.
 *  - naive: no workaround and no PERSIST: on a parent that wipes its maps the
 *    device is left translating with nothing (or identity): a correctness
 *    failure the lab must flag.
 */
export const FLOW_NAMES = ['workaround', 'persist', 'naive'] as const;
export type FlowName = (typeof FLOW_NAMES)[number];

export interface Flow {
  name: FlowName;
  ackPersist: boolean;
  unmapOnStop: boolean;
}

export const FLOWS: Record<FlowName, Flow> = {
  workaround: { name: 'workaround', ackPersist: false, unmapOnStop: true },
  persist: { name: 'persist', ackPersist: true, unmapOnStop: false },
  naive: { name: 'naive', ackPersist: false, unmapOnStop: false },
};
