import type { SimDialect } from '../task-server.js';
import { affinityWire } from './affinity.js';
import { benchlingWire } from './benchling.js';
import { deadlineWire } from './deadline.js';
import { deepintWire } from './deepint.js';
import { evoWire } from './evo.js';
import type { SimWire } from './wire.js';

export { isRunning, SIM_PHASES } from './wire.js';
export type { SimAnswer, SimCancel, SimPhase, SimStatus, SimSubmit, SimWire } from './wire.js';

/** Each dialect's wire, as the simulator writes it: everything `startTaskServer` knows of a service. */
export const wires: Readonly<Record<SimDialect, SimWire>> = Object.freeze({
  benchling: benchlingWire,
  affinity: affinityWire,
  evo: evoWire,
  deepint: deepintWire,
  deadline: deadlineWire,
});
