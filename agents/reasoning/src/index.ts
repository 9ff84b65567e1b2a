export * from './brains.js';
export * from './builtin-tools.js';
export * from './config.js';
export * from './room-input.js';
export * from './room-memory.js';
export * from './rules.js';
export * from './tool-registry.js';
