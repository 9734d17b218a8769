import type { OsFamily } from '../model/host.ts';
import type { ComponentId } from './catalog.ts';
import { marsAgentWindows } from './mars-agent/windows.ts';
import { mobilityServiceLinux } from './mobility-service/linux.ts';
import { mobilityServiceWindows } from './mobility-service/windows.ts';
import { providerWindows } from './provider/windows.ts';
import type { Recipe } from './recipe.ts';

/** Where a component/platform pair finds its recipe: add a new platform's recipe here. */
const RECIPES: Recipe[] = [mobilityServiceLinux, mobilityServiceWindows, providerWindows, marsAgentWindows];

export function recipeFor(component: ComponentId, platform: OsFamily): Recipe | undefined {
  return RECIPES.find((r) => r.component === component && r.platform === platform);
}
