// The Angular entry of poll-task (`poll-task/angular`): zone-friendly subscriptions and signals that never
// throw. @angular/core is an optional peer dependency: only this entry imports it.

export { outsideAngular } from './outside-angular.js';
export { taskSignals } from './task-signals.js';
export type { TaskSignals, TaskSignalsOptions } from './task-signals.js';
