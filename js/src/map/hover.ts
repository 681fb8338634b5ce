// Hover texts: fetched from Python once per row (cached), replies for a row no longer
// hovered are cached but not shown.

export interface HoverInfo {
  row: number;
  text: string;
  collection?: string;
  id?: unknown;
  metadata?: Record<string, unknown>;
}

export interface HoverCallbacks {
  fetch: (row: number) => Promise<HoverInfo>;
  show: (info: HoverInfo) => void;
  pending: (row: number) => void;
  hide: () => void;
  error: (message: string) => void;
}

export class HoverCache {
  private readonly cache = new Map<number, HoverInfo>();
  private readonly inflight = new Map<number, Promise<HoverInfo>>();
  private current = -1;
  private generation = 0;

  constructor(
    private readonly callbacks: HoverCallbacks,
    private readonly limit = 2000,
  ) {}

  get hovered(): number {
    return this.current;
  }

  get size(): number {
    return this.cache.size;
  }

  /** The pointer is over `row`: show its text now (cached) or once it arrives. */
  async over(row: number): Promise<void> {
    this.current = row;
    const cached = this.cache.get(row);
    if (cached) {
      this.cache.delete(row); // most recently used goes last
      this.cache.set(row, cached);
      this.callbacks.show(cached);
      return;
    }
    this.callbacks.pending(row);
    const generation = this.generation;
    let request = this.inflight.get(row);
    if (!request) {
      request = this.callbacks.fetch(row);
      this.inflight.set(row, request);
    }
    try {
      const info = await request;
      if (generation !== this.generation) return; // the points changed meanwhile
      this.remember(row, info);
      if (this.current === row) this.callbacks.show(info);
    } catch (err) {
      if (generation !== this.generation) return;
      if (this.current === row) this.callbacks.hide();
      this.callbacks.error(err instanceof Error ? err.message : String(err));
    } finally {
      if (this.inflight.get(row) === request) this.inflight.delete(row);
    }
  }

  /** The pointer left the point. */
  out(): void {
    this.current = -1;
    this.callbacks.hide();
  }

  /** Forget everything (the points changed, rows mean other records now). */
  clear(): void {
    this.cache.clear();
    this.inflight.clear();
    this.current = -1;
    this.generation += 1;
  }

  private remember(row: number, info: HoverInfo): void {
    this.cache.set(row, info);
    while (this.cache.size > this.limit) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}
