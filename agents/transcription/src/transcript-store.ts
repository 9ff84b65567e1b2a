/**
 * The session transcript of a room: every final segment, in the order published, appended to a
 * JSON-lines file that outlives the room (and the process), with only the latest segments kept in
 * memory so a long meeting costs no more memory than a short one.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readTranscript, type Segment, type StoredSegment } from '@roomcrew/shared';

export type { Segment, StoredSegment };

const KEEP_IN_MEMORY = 200;

export class TranscriptStore {
  readonly #recent: StoredSegment[] = [];
  #seq = 0;
  #writes: Promise<void> = Promise.resolve();
  #ready: Promise<void>;

  constructor(
    readonly path: string,
    readonly room: string,
  ) {
    // Continue the numbering of an earlier transcriber in the same room.
    this.#ready = readTranscript(path).then((old) => {
      this.#seq = old.at(-1)?.seq ?? 0;
      this.#recent.push(...old.slice(-KEEP_IN_MEMORY));
    });
  }

  add(segment: Segment): Promise<StoredSegment> {
    const write = this.#ready.then(async () => {
      const stored: StoredSegment = { ...segment, seq: ++this.#seq, room: this.room, ts: Date.now() };
      this.#recent.push(stored);
      if (this.#recent.length > KEEP_IN_MEMORY) this.#recent.shift();
      await mkdir(join(this.path, '..'), { recursive: true });
      await appendFile(this.path, `${JSON.stringify(stored)}\n`);
      return stored;
    });
    this.#writes = write.then(
      () => undefined,
      () => undefined,
    );
    return write;
  }

  /** Segments after `after` (a seq), oldest first, at most `limit`; from memory when it can. */
  async page(after = 0, limit = 100): Promise<StoredSegment[]> {
    await this.#writes;
    const first = this.#recent[0];
    const all = first && first.seq <= after + 1 ? this.#recent : await readTranscript(this.path);
    return all.filter((s) => s.seq > after).slice(0, limit);
  }

  get memorySize(): number {
    return this.#recent.length;
  }
}
