export * from './matching.js';
export * from './merge.js';
export * from './org-poll.js';
export * from './plan/index.js';
export * from './preview.js';
export * from './rules.js';
export * from './runner/index.js';
