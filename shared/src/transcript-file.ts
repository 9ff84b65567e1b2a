/**
 * The session transcript file of a room (written by the transcriber, read by the CLI, the
 * reasoner and the audit trail): JSON lines of final segments, one file per room.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CrewPayload } from './events.js';

export type Segment = CrewPayload<'transcript.segment'>;
export interface StoredSegment extends Segment {
  seq: number;
  room: string;
  /** When the segment was published (ms since epoch). */
  ts: number;
}

export function transcriptPath(dataDir: string, room: string): string {
  return join(dataDir, 'transcripts', `${encodeURIComponent(room)}.jsonl`);
}

/** Reads a transcript file; a missing file is an empty transcript, a torn last line is skipped. */
export async function readTranscript(path: string): Promise<StoredSegment[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: StoredSegment[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as StoredSegment);
    } catch {
      // a line torn by a crash mid-write; the rest of the file is intact
    }
  }
  return out;
}
