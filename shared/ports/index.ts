export type * from './calendar.port.js';
export type * from './clock.port.js';
export type * from './severa.port.js';
export * from './sync-store.port.js';
