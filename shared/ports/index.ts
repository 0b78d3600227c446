export type * from './calendar.port.js';
export type * from './clock.port.js';
export type * from './logger.port.js';
export * from './operations.port.js';
export type * from './severa.port.js';
export * from './sync-store.port.js';
