export * from './contract-recorder.js';
export * from './faults.js';
export * from './http.js';
export * from './response-log.js';
export * from './sim-clock.js';
export * from './stats.js';
