export * from './demo-fixture.js';
export * from './errors.js';
export * from './fixture.js';
export * from './severa-sim.js';
export { OCCURRENCE_HORIZON_DAYS, occurrenceGuid } from './store.js';
