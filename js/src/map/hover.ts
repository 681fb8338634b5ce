// Hover texts, fetched from Python by chunks of rows and cached in the page: hovering a row of a
// cached chunk shows its text with no message at all. A chunk that arrives after the pointer
// moved on is cached but not shown.

/** Rows per `hover_texts` request (Python accepts at most 1024). */
export const HOVER_CHUNK = 512;
/** Chunks kept in the page (least recently used dropped first): 32,768 rows. */
export const HOVER_CHUNKS = 64;

export interface HoverInfo {
  row: number;
  text: string;
  collection?: string;
  id?: unknown;
  /** an image record's thumbnail `{mime, base64}` as Python sent it (checked when shown) */
  thumbnail?: unknown;
}

export interface HoverCallbacks {
  /** The rows `start` .. `start + count - 1`, in order. */
  fetch: (start: number, count: number) => Promise<HoverInfo[]>;
  /** How many rows the map has now. */
  rows: () => number;
  show: (info: HoverInfo) => void;
  pending: (row: number) => void;
  hide: () => void;
  error: (message: string) => void;
}

/**
 * The rows of a `hover_texts` reply `{start, texts, collections?, ids?, thumbnails?}` (parallel
 * lists; `thumbnails` only when a row of the chunk is an image record), or an Error saying what
 * is wrong with it.
 */
export function chunkRows(reply: unknown, start: number, count: number): HoverInfo[] {
  const r = (typeof reply === "object" && reply !== null ? reply : {}) as Record<string, unknown>;
  const { texts, collections, ids, thumbnails } = r;
  if (r.start !== start || !Array.isArray(texts) || texts.length === 0 || texts.length > count) {
    throw new Error(`hover_texts: malformed reply from Python for rows ${start}..${start + count - 1}`);
  }
  return texts.map((text, i) => ({
    row: start + i,
    text: String(text ?? ""),
    collection: Array.isArray(collections) && typeof collections[i] === "string" ? collections[i] : undefined,
    id: Array.isArray(ids) ? ids[i] : undefined,
    ...(Array.isArray(thumbnails) && thumbnails[i] ? { thumbnail: thumbnails[i] } : {}),
  }));
}

export class HoverCache {
  private readonly chunks = new Map<number, HoverInfo[]>();
  private readonly inflight = new Map<number, Promise<HoverInfo[]>>();
  private current = -1;
  private generation = 0;

  constructor(
    private readonly callbacks: HoverCallbacks,
    private readonly rowsPerChunk = HOVER_CHUNK,
    private readonly limit = HOVER_CHUNKS,
  ) {}

  get hovered(): number {
    return this.current;
  }

  /** Chunks cached. */
  get size(): number {
    return this.chunks.size;
  }

  /** The pointer is over `row`: show its text now (cached chunk) or once its chunk arrives. */
  async over(row: number): Promise<void> {
    this.current = row;
    const index = Math.floor(row / this.rowsPerChunk);
    const cached = this.chunks.get(index);
    if (cached) {
      this.chunks.delete(index); // most recently used goes last
      this.chunks.set(index, cached);
      this.showRow(cached, row);
      return;
    }
    this.callbacks.pending(row);
    const generation = this.generation;
    let request = this.inflight.get(index);
    if (!request) {
      const start = index * this.rowsPerChunk;
      request = this.callbacks.fetch(start, Math.max(1, Math.min(this.rowsPerChunk, this.callbacks.rows() - start)));
      this.inflight.set(index, request);
    }
    try {
      const rows = await request;
      if (generation !== this.generation) return; // the points changed meanwhile
      this.remember(index, rows);
      if (this.current === row) this.showRow(rows, row);
    } catch (err) {
      if (generation !== this.generation) return;
      if (this.current === row) this.callbacks.hide();
      this.callbacks.error(err instanceof Error ? err.message : String(err));
    } finally {
      if (this.inflight.get(index) === request) this.inflight.delete(index);
    }
  }

  /** The pointer left the point. */
  out(): void {
    this.current = -1;
    this.callbacks.hide();
  }

  /** Forget everything (the points changed, rows mean other records now). */
  clear(): void {
    this.chunks.clear();
    this.inflight.clear();
    this.current = -1;
    this.generation += 1;
  }

  private showRow(rows: HoverInfo[], row: number): void {
    const info = rows.length ? rows[row - rows[0].row] : undefined;
    if (info) this.callbacks.show(info);
    else this.callbacks.hide();
  }

  private remember(index: number, rows: HoverInfo[]): void {
    this.chunks.set(index, rows);
    while (this.chunks.size > this.limit) {
      const oldest = this.chunks.keys().next().value;
      if (oldest === undefined) break;
      this.chunks.delete(oldest);
    }
  }
}
