export * from './capability.js';
export * from './expand.js';
export * from './fallback.js';
export * from './rrule.js';
export * from './series-zone.js';
export * from './severa-pattern.js';
export * from './severa-recurrence.wire.js';
