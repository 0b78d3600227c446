export * from './content-hash.js';
export * from './entry.js';
export * from './errors.js';
export * from './ids.js';
export * from './link.js';
export * from './recurrence.js';
export * from './settings.js';
export * from './timing.js';
