/**
 * The accurate local engine: Whisper tiny.en (whisper.cpp through @napi-rs/whisper) behind the
 * agents-js `stt.STT` interface. One recognition per utterance (it does not stream), on a worker
 * thread. Much better words than pocketsphinx, at about a second of one core per utterance.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type AudioBuffer, mergeFrames, stt } from '@livekit/agents';
import { AudioResampler } from '@livekit/rtc-node';
import { MissingBinaryError, SETUP_COMMAND } from '@roomcrew/shared';

export const DEFAULT_WHISPER_MODEL = fileURLToPath(
  new URL('../../../.tools/models/ggml-tiny.en.bin', import.meta.url),
);
const SAMPLE_RATE = 16_000;

export class WhisperSTT extends stt.STT {
  label = 'whisper';
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (t: string) => void; reject: (e: Error) => void }>();
  #next = 0;

  constructor(
    readonly modelPath = DEFAULT_WHISPER_MODEL,
    readonly language = 'en',
  ) {
    super({ streaming: false, interimResults: false });
    if (!existsSync(modelPath)) throw new MissingBinaryError(`Whisper model ${modelPath}`, SETUP_COMMAND);
    this.#worker = new Worker(new URL('./whisper-worker.js', import.meta.url), {
      workerData: { model: modelPath },
    });
    this.#worker.unref();
    this.#worker.on('message', (m: { id?: number; text?: string; error?: string }) => {
      if (m.id === undefined) return;
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(`whisper: ${m.error}`));
      else p?.resolve(m.text ?? '');
    });
    this.#worker.on('error', (e) => {
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    });
  }

  override get provider(): string {
    return 'whisper.cpp';
  }

  override get model(): string {
    return 'tiny.en';
  }

  protected async _recognize(buffer: AudioBuffer, abortSignal?: AbortSignal): Promise<stt.SpeechEvent> {
    let frame = mergeFrames(buffer);
    if (frame.sampleRate !== SAMPLE_RATE || frame.channels !== 1) {
      const r = new AudioResampler(frame.sampleRate, SAMPLE_RATE, frame.channels);
      frame = mergeFrames([...r.push(frame), ...r.flush()]);
      r.close();
    }
    const pcm = Float32Array.from(frame.data, (v) => v / 32768);
    const id = this.#next++;
    const text = await new Promise<string>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      abortSignal?.addEventListener('abort', () => {
        this.#pending.delete(id);
        reject(new Error('whisper recognition aborted'));
      });
      this.#worker.postMessage({ id, pcm, language: this.language }, [pcm.buffer]);
    });
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      alternatives: [
        {
          text,
          language: this.language as stt.SpeechData['language'],
          startTime: 0,
          endTime: pcm.length / SAMPLE_RATE,
          confidence: 0,
        },
      ],
    };
  }

  stream(): stt.SpeechStream {
    throw new Error('whisper does not stream; the transcriber calls recognize() once per utterance');
  }

  override async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
