export * from './command.js';
export * from './framer.js';
export * from './location.js';
export * from './record.js';
export * from './reply.js';
export * from './time.js';
