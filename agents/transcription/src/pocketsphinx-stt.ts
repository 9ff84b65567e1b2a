/**
 * The local, offline speech recognizer: pocketsphinx_continuous in a child process per stream,
 * behind the agents-js `stt.STT` interface. It segments utterances itself (about 1 s after one
 * ends) and gives final transcripts only.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type AudioBuffer, mergeFrames, stt } from '@livekit/agents';
import { type AudioFrame, AudioResampler } from '@livekit/rtc-node';
import { findExecutable, MissingBinaryError } from '@roomcrew/shared';
import { PocketsphinxOutputParser, type Utterance } from './pocketsphinx-output.js';

export const POCKETSPHINX_SAMPLE_RATE = 16_000;
const FLUSH_SILENCE = Buffer.alloc(POCKETSPHINX_SAMPLE_RATE * 2 * 1.2); // 1.2 s of s16 zeros
const INSTALL_HINT = 'apt-get install pocketsphinx pocketsphinx-en-us (or bash infra/setup.sh)';
const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

/** Languages the Debian models cover; anything else is refused with a clear error. */
export const POCKETSPHINX_LANGUAGES: readonly string[] = ['en', 'en-US'];

export class UnsupportedLanguageError extends Error {
  constructor(language: string) {
    super(
      `pocketsphinx has no model for language "${language}"; supported: ${POCKETSPHINX_LANGUAGES.join(', ')}`,
    );
    this.name = 'UnsupportedLanguageError';
  }
}

export interface PocketsphinxOptions {
  /** Executable name or path (default pocketsphinx_continuous on PATH). */
  binary?: string;
  language?: string;
}

/** Checks that the recognizer and its English model are installed; throws with the fix. */
export function resolvePocketsphinx(binary = 'pocketsphinx_continuous'): string {
  const path = findExecutable(binary, INSTALL_HINT);
  if (!existsSync(MODEL_DIR)) throw new MissingBinaryError(`pocketsphinx model ${MODEL_DIR}`, INSTALL_HINT);
  return path;
}

/**
 * Node gives children a socketpair for stdin, and pocketsphinx cannot open /dev/stdin when it is a
 * socket; `cat |` turns it into a real pipe. stdbuf keeps results line-buffered so they arrive as
 * soon as they are decoded. The recognizer runs in its own process group so it can be killed whole.
 */
function spawnRecognizer(binary: string): ChildProcessWithoutNullStreams {
  const script = 'cat | exec stdbuf -oL "$0" -infile /dev/stdin -logfn /dev/null -time yes';
  return spawn('sh', ['-c', script, binary], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
}

function killRecognizer(proc: ChildProcessWithoutNullStreams): void {
  try {
    if (proc.pid) process.kill(-proc.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function toPcm(frame: AudioFrame): Buffer {
  return Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
}

function speechData(u: Utterance, language: string): stt.SpeechData {
  return {
    text: u.text,
    language: language as stt.SpeechData['language'],
    startTime: u.startTime,
    endTime: u.endTime,
    confidence: u.confidence,
  };
}

export class PocketsphinxSTT extends stt.STT {
  label = 'pocketsphinx';
  readonly binary: string;
  readonly language: string;

  constructor(opts: PocketsphinxOptions = {}) {
    super({ streaming: true, interimResults: false });
    this.language = opts.language ?? 'en-US';
    if (!POCKETSPHINX_LANGUAGES.includes(this.language)) throw new UnsupportedLanguageError(this.language);
    this.binary = resolvePocketsphinx(opts.binary);
  }

  override get provider(): string {
    return 'pocketsphinx';
  }

  override get model(): string {
    return 'en-us-ptm';
  }

  protected async _recognize(buffer: AudioBuffer): Promise<stt.SpeechEvent> {
    let frame = mergeFrames(buffer);
    if (frame.sampleRate !== POCKETSPHINX_SAMPLE_RATE || frame.channels !== 1) {
      const resampler = new AudioResampler(frame.sampleRate, POCKETSPHINX_SAMPLE_RATE, frame.channels);
      frame = mergeFrames([...resampler.push(frame), ...resampler.flush()]);
      resampler.close();
    }
    const proc = spawnRecognizer(this.binary);
    const parser = new PocketsphinxOutputParser();
    const utterances: Utterance[] = [];
    const lines = createInterface({ input: proc.stdout });
    lines.on('line', (l) => {
      const u = parser.push(l);
      if (u?.text) utterances.push(u);
    });
    proc.stdin.end(toPcm(frame));
    const [code] = (await once(proc, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`pocketsphinx exited with code ${code}`);
    const text = utterances.map((u) => u.text).join(' ');
    const first = utterances[0];
    const last = utterances[utterances.length - 1];
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      alternatives: [
        {
          text,
          language: this.language as stt.SpeechData['language'],
          startTime: first?.startTime ?? 0,
          endTime: last?.endTime ?? 0,
          confidence: utterances.length
            ? utterances.reduce((s, u) => s + u.confidence, 0) / utterances.length
            : 0,
        },
      ],
    };
  }

  stream(): PocketsphinxStream {
    return new PocketsphinxStream(this);
  }
}

export class PocketsphinxStream extends stt.SpeechStream {
  label = 'pocketsphinx';
  #proc: ChildProcessWithoutNullStreams | undefined;

  constructor(private readonly engine: PocketsphinxSTT) {
    super(engine, POCKETSPHINX_SAMPLE_RATE);
  }

  /** The recognizer's process id while it runs (tests count these). */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  protected async run(): Promise<void> {
    const proc = spawnRecognizer(this.engine.binary);
    this.#proc = proc;
    const kill = () => killRecognizer(proc);
    this.abortSignal.addEventListener('abort', kill, { once: true });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    // Writing into a pipe whose reader died must not crash the worker.
    proc.stdin.on('error', () => undefined);

    const parser = new PocketsphinxOutputParser();
    let audioSeconds = 0;
    let silence = 0; // seconds of flush silence written so far
    const lines = createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      const u = parser.push(line);
      if (!u || this.queue.closed) return;
      // Report times on the timeline of the audio we were given, without the flush silences.
      const data = speechData(
        { ...u, startTime: Math.max(0, u.startTime - silence), endTime: Math.max(0, u.endTime - silence) },
        this.engine.language,
      );
      if (!u.text) {
        this.queue.put({ type: stt.SpeechEventType.FINAL_TRANSCRIPT, alternatives: [data] }); // ended, no words
        return;
      }
      this.queue.put({ type: stt.SpeechEventType.START_OF_SPEECH });
      this.queue.put({ type: stt.SpeechEventType.FINAL_TRANSCRIPT, alternatives: [data] });
      this.queue.put({ type: stt.SpeechEventType.END_OF_SPEECH, alternatives: [data] });
      this.queue.put({
        type: stt.SpeechEventType.RECOGNITION_USAGE,
        recognitionUsage: { audioDuration: audioSeconds },
      });
      audioSeconds = 0;
    });

    try {
      for await (const item of this.input) {
        if (typeof item === 'symbol') {
          // Flush: pocketsphinx ends an utterance after about a second of silence, so give it one.
          silence += FLUSH_SILENCE.length / 2 / POCKETSPHINX_SAMPLE_RATE;
          if (!proc.stdin.write(FLUSH_SILENCE)) await Promise.race([once(proc.stdin, 'drain'), exited]);
          continue;
        }
        if (proc.exitCode !== null || proc.killed) break;
        audioSeconds += item.samplesPerChannel / item.sampleRate;
        if (!proc.stdin.write(toPcm(item))) {
          await Promise.race([once(proc.stdin, 'drain'), exited]);
        }
      }
      proc.stdin.end();
      const [code, signal] = await exited;
      if (this.abortSignal.aborted) return;
      if (code !== 0) {
        throw new Error(
          `pocketsphinx exited with ${signal ?? `code ${code}`}${stderr ? `: ${stderr.trim()}` : ''}`,
        );
      }
    } finally {
      this.abortSignal.removeEventListener('abort', kill);
      killRecognizer(proc); // also takes `cat` and anything left in the group
      lines.close();
      this.#proc = undefined;
    }
  }
}
