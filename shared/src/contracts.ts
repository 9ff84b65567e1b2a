/**
 * The browser-safe part of the contracts (no node-only imports): crew events and their parsing,
 * RPC names and payloads, escalations, crew names and LiveKit's conventions. The console page
 * imports `@roomcrew/shared/contracts`; node code keeps importing `@roomcrew/shared`.
 */
export * from './bounded-stream.js';
export * from './crew.js';
export * from './escalations.js';
export * from './events.js';
export * from './limits.js';
export * from './livekit-conventions.js';
export * from './parse-event.js';
export * from './result.js';
export * from './rpc.js';
