// The testing entry of poll-task (`poll-task/testing`): the task simulator. Node only.

export { SIM_DIALECTS, startTaskServer } from './task-server.js';
export type { FaultSpec, SeenRequest, SimDialect, SimTask, SimTaskSpec, TaskServer, TaskServerOptions, TaskServerStats } from './task-server.js';
export { simulatedSource } from './simulated-source.js';
