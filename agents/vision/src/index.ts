export * from './face-analyzer.js';
export * from './luma.js';
export * from './ocr.js';
export * from './subscription-policy.js';
export * from './track-sampler.js';
