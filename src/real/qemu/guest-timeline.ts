/**
 * The inner guest's timeline (inner-init.ts stamps) and what it measures:
 * per reset, the guest-visible downtime from the driver unbind (the reset)
 * to link up and to the first completed TX, on the guest's own clock. Under
 * nested TCG these are TCG times: real, but of an emulated guest.
 */
import { GUEST_STAMP } from './inner-init.js';

export interface GuestStamp {
  seconds: number;
  step: string;
  reset: number | null;
  detail: string;
}

export interface ResetDowntime {
  reset: number;
  /** unbind -> link-up, ms (null: the link never came back). */
  linkUpMs: number | null;
  /** unbind -> first completed TX, ms (null: none seen). */
  firstTxMs: number | null;
  /** Where that time went, step by step on the same clock (absent in files from before Dec 2026's second week). */
  steps?: ResetSteps;
}

/** One reset's guest steps, ms each (null: the step's end was never stamped). */
export interface ResetSteps {
  /** unbind -> unbound: virtnet_remove and the device reset (SET_STATUS 0: QEMU stops vhost-vdpa). */
  unbindMs: number | null;
  /** unbound -> bound: virtnet_probe, feature negotiation, DRIVER_OK (QEMU starts vhost-vdpa). */
  bindMs: number | null;
  /** bound -> link-up: eth0 up and its carrier seen. */
  carrierMs: number | null;
  /** link-up -> tx-done: one ARP request sent and its TX buffer handed back. */
  txMs: number | null;
}

/** One stamp, `SECONDS STEP [RESET] [DETAIL]`, as the console carries it after the marker and guest.log keeps it. */
function parseStamp(text: string): GuestStamp | null {
  const [sec, step = '', ...rest] = text.trim().split(/\s+/).filter(Boolean);
  const seconds = Number(sec);
  if (!Number.isFinite(seconds) || !step) return null;
  const n = /^\d+$/.test(rest[0] ?? '') ? Number(rest.shift()) : null;
  return { seconds, step, reset: n, detail: rest.join(' ') };
}

/** Stamp lines of the guest's console, in order; anything else on the console is not the timeline. */
export function parseGuestLog(text: string): GuestStamp[] {
  const out: GuestStamp[] = [];
  for (const raw of text.split('\n')) {
    const at = raw.indexOf(`${GUEST_STAMP} `);
    if (at < 0) continue;
    // A kernel message can land on the same console line right after a stamp: cut it off at its [ seconds] prefix.
    const s = parseStamp(raw.slice(at + GUEST_STAMP.length + 1).replace(/\[\s*\d+\.\d+\][\s\S]*$/, ''));
    if (s) out.push(s);
  }
  return out;
}

/** guest.log (guestLogText's lines) read back. */
export function readGuestLogText(text: string): GuestStamp[] {
  return text.split('\n').flatMap((l) => parseStamp(l) ?? []);
}

/** The stamp lines alone, as guest.log keeps them. */
export function guestLogText(stamps: readonly GuestStamp[]): string {
  return stamps.map((s) => `${s.seconds.toFixed(2)} ${s.step}${s.reset === null ? '' : ` ${s.reset}`}${s.detail ? ` ${s.detail}` : ''}\n`).join('');
}

export function downtimes(stamps: readonly GuestStamp[]): ResetDowntime[] {
  const at = (step: string, reset: number) => stamps.find((s) => s.step === step && s.reset === reset)?.seconds;
  const out: ResetDowntime[] = [];
  for (const s of stamps) {
    if (s.step !== 'unbind' || s.reset === null) continue;
    const ms = (t: number | undefined) => (t === undefined ? null : Math.round((t - s.seconds) * 1000));
    const span = (from: string, to: string) => {
      const a = at(from, s.reset!);
      const b = at(to, s.reset!);
      return a === undefined || b === undefined ? null : Math.round((b - a) * 1000);
    };
    out.push({
      reset: s.reset,
      linkUpMs: ms(at('link-up', s.reset)),
      firstTxMs: ms(at('tx-done', s.reset)),
      steps: { unbindMs: span('unbind', 'unbound'), bindMs: span('unbound', 'bound'), carrierMs: span('bound', 'link-up'), txMs: span('link-up', 'tx-done') },
    });
  }
  return out;
}

/** The last step the guest reached, for a failure message. */
export function lastStep(stamps: readonly GuestStamp[]): string {
  const s = stamps.at(-1);
  return s ? `${s.step}${s.reset === null ? '' : ` ${s.reset}`}${s.detail ? ` (${s.detail})` : ''} at ${s.seconds.toFixed(2)} s guest time` : 'none (the inner guest never reached its /init)';
}

/** True when the guest went through every step and asked to power off. */
export function completed(stamps: readonly GuestStamp[]): boolean {
  return stamps.some((s) => s.step === 'poweroff') && !stamps.some((s) => s.step === 'fail');
}
