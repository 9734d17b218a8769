import type { OsFamily } from '../model/host.ts';
import type { ComponentId } from './catalog.ts';
import { mobilityServiceLinux } from './mobility-service/linux.ts';
import type { Recipe } from './recipe.ts';

/** Where a component/platform pair finds its recipe: add a new platform's recipe here. */
const RECIPES: Recipe[] = [mobilityServiceLinux];

export function recipeFor(component: ComponentId, platform: OsFamily): Recipe | undefined {
  return RECIPES.find((r) => r.component === component && r.platform === platform);
}
