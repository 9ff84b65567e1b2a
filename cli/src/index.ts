export * from './console-control.js';
export * from './control-plane.js';
export * from './crew-workers.js';
