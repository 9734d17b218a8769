/** `{...defaults, ...stripUndefined(options)}`: an option given as undefined keeps its default. */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
