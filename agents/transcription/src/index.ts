export * from './pocketsphinx-output.js';
export * from './pocketsphinx-stt.js';
export * from './room-transcriber.js';
export * from './speaker-transcriber.js';
export * from './whisper-stt.js';
