/** Room-side helpers (needs @livekit/rtc-node): the crew channel and participant roles. */
export * from './crew-authority.js';
export * from './crew-channel.js';
export * from './crew-rpc.js';
export * from './room-helpers.js';
