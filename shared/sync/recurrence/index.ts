export * from './capability.js';
export * from './expand.js';
export * from './fallback.js';
export * from './rrule.js';
export * from './series-zone.js';
