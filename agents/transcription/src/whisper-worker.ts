/**
 * Runs whisper.cpp (through @napi-rs/whisper) on a worker thread: its `full()` is synchronous and
 * takes about a second per utterance, which must not stall the job's event loop (audio, RPC).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Whisper, WhisperFullParams, WhisperSamplingStrategy } from '@napi-rs/whisper';

interface Request {
  id: number;
  pcm: Float32Array;
  language: string;
}

const whisper = new Whisper((workerData as { model: string }).model, { useGpu: false });
parentPort?.postMessage({ ready: true });
parentPort?.on('message', (req: Request) => {
  try {
    const params = new WhisperFullParams(WhisperSamplingStrategy.Greedy);
    params.nThreads = 1; // more threads spin against each other on a busy 2-core machine
    params.language = req.language;
    params.noTimestamps = true;
    params.printProgress = false;
    params.printRealtime = false;
    params.printTimestamps = false;
    const text = whisper.full(params, req.pcm).trim();
    parentPort?.postMessage({ id: req.id, text });
  } catch (e) {
    parentPort?.postMessage({ id: req.id, error: (e as Error).message });
  }
});
