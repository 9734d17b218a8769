/**
 * Commands the wizard calls before the contract declares them (shapes from cli.md). Once a name
 * is in the contract its real types win (api.ts) and it is deleted here; today there are none.
 */
export type PlannedCommands = Record<never, { input: unknown; output: unknown }>;
