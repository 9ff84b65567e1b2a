export * from './crew-dispatcher.js';
export * from './event-router.js';
export * from './routing-table.js';
