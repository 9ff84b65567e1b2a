export * from './api.js';
export * from './server/config.js';
export * from './server/rate-limit.js';
export * from './server/server.js';
export * from './server/sessions.js';
