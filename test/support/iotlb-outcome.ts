/** What an IOTLB call did, comparable across implementations: its value, or `error CODE` when it refused with an IotlbError (anything else is a failure and is thrown). */
import { IotlbError } from '../../src/errors.js';

export function outcome(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    if (e instanceof IotlbError) return `error ${e.code}`;
    throw e;
  }
}
