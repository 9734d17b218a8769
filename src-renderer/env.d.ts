/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { AsrDeployBridge } from '../src-main/service/contract/ui.ts';

declare global {
  interface Window {
    /** Present in the desktop app (the preload's one API); absent in a browser, where the WebSocket is used. */
    asrDeploy?: AsrDeployBridge;
  }
}
export {};
