/**
 * Local speech (offline): flite behind the agents-js `tts.TTS` interface, so a FallbackAdapter
 * can put it behind ElevenLabs or OpenAI. flite writes a 16 kHz mono WAV; it is cut into 20 ms
 * frames.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type APIConnectOptions, tts } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';

export const FLITE_RATE = 16_000;

export class FliteTTS extends tts.TTS {
  label = 'roomcrew.FliteTTS';

  constructor(
    readonly bin: string,
    readonly voice: string,
  ) {
    super(FLITE_RATE, 1, { streaming: false });
  }

  synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal): tts.ChunkedStream {
    return new FliteStream(text, this, connOptions, abortSignal);
  }

  stream(): tts.SynthesizeStream {
    throw new Error('FliteTTS synthesizes whole sentences; wrap it in tts.StreamAdapter to stream');
  }
}

class FliteStream extends tts.ChunkedStream {
  label = 'roomcrew.FliteStream';
  readonly #engine: FliteTTS;

  constructor(text: string, engine: FliteTTS, connOptions?: APIConnectOptions, abortSignal?: AbortSignal) {
    super(text, engine, connOptions, abortSignal);
    this.#engine = engine;
  }

  protected async run(): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'roomcrew-flite-'));
    try {
      const wav = join(dir, 'out.wav');
      await new Promise<void>((resolve, reject) => {
        execFile(
          this.#engine.bin,
          ['-voice', this.#engine.voice, '-t', this.inputText, '-o', wav],
          { signal: this.abortSignal, timeout: 30_000 },
          (e, _out, stderr) => (e ? reject(new Error(`flite failed: ${stderr || e.message}`)) : resolve()),
        );
      });
      const samples = pcmOfWav(await readFile(wav));
      const step = FLITE_RATE / 50;
      const requestId = `flite-${Date.now()}`;
      for (let i = 0; i < samples.length; i += step) {
        const chunk = samples.slice(i, i + step);
        this.queue.put({
          requestId,
          segmentId: requestId,
          frame: new AudioFrame(chunk, FLITE_RATE, 1, chunk.length),
          final: i + step >= samples.length,
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** The samples of a 16-bit PCM mono WAV file (the `data` chunk). */
export function pcmOfWav(buf: Buffer): Int16Array {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a WAV file');
  }
  let at = 12;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'data') {
      const end = Math.min(buf.length, at + 8 + size);
      const bytes = buf.subarray(at + 8, end - ((end - at - 8) % 2));
      return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('WAV file has no data chunk');
}
