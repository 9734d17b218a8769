export * from './discover.ts';
export * from './documents.ts';
export * from './host-inputs.ts';
export * from './merge.ts';
