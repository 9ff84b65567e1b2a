export * from './child-processes.js';
export * from './livekit-server.js';
export * from './paths.js';
