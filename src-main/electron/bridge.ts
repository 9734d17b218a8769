/**
 * The IPC channels behind `window.asrDeploy` (its type lives with the contract). Kept free
 * of runtime imports: the sandboxed preload bundles this file and nothing of the service.
 */

export const IPC_CALL = 'asr-deploy:call';
export const IPC_EVENT = 'asr-deploy:event';
/** The native file dialogs (open / save): the path stays in main, the page gets a handle. */
export const IPC_CHOOSE = 'asr-deploy:choose';
/** Passed to the preload in additionalArguments (VS Code does the same), so it knows the command names without loading the contract. */
export const COMMANDS_ARG = '--asr-deploy-commands=';

export type { AsrDeployBridge, ChooseRequest, ChooseResult } from '../service/contract/ui.ts';
