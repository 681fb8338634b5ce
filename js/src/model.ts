import type { AnyModel } from "./types";

export type Listeners = [event: string, handler: () => void][];

/**
 * Subscribe each handler to its model event (and run it once now when `runNow`, to render the
 * current state); returns the function that unsubscribes them all.
 */
export function subscribe<T>(model: AnyModel<T>, listeners: Listeners, runNow: boolean): () => void {
  for (const [event, handler] of listeners) {
    model.on(event, handler);
    if (runNow) handler();
  }
  return () => {
    for (const [event, handler] of listeners) model.off(event, handler);
  };
}
