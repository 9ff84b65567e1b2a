/**
 * The recognizers a transcriber may use, in fallback order, built from configuration: cloud
 * providers whose keys are set (through the official agents-js plugins), the optional local
 * Whisper engine, then pocketsphinx, which is always last so a room is never left without captions.
 */
import type { stt } from '@livekit/agents';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import * as openai from '@livekit/agents-plugin-openai';
import type { TranscriberConfig } from './config.js';
import { POCKETSPHINX_LANGUAGES, PocketsphinxSTT } from './pocketsphinx-stt.js';
import { WhisperSTT } from './whisper-stt.js';

export interface Engine {
  /** Provider name used in logs and metrics: deepgram, openai, local. */
  name: string;
  stt: stt.STT;
  /** Paid engines only ever receive audio while someone speaks. */
  paid: boolean;
}

export class EngineConfigError extends Error {
  override name = 'EngineConfigError';
}

export function buildEngines(cfg: TranscriberConfig, language: string): Engine[] {
  const chain = cfg.CREW_STT_PROVIDERS ?? [
    ...(cfg.DEEPGRAM_API_KEY ? (['deepgram'] as const) : []),
    ...(cfg.OPENAI_API_KEY ? (['openai'] as const) : []),
    'local' as const,
  ];
  const names = chain.includes('local') ? chain : [...chain, 'local' as const];
  return names.map((name): Engine => {
    switch (name) {
      case 'deepgram':
        if (!cfg.DEEPGRAM_API_KEY)
          throw new EngineConfigError('deepgram is in CREW_STT_PROVIDERS but DEEPGRAM_API_KEY is not set');
        return {
          name,
          paid: true,
          stt: new deepgram.STT({
            apiKey: cfg.DEEPGRAM_API_KEY,
            baseUrl: cfg.DEEPGRAM_BASE_URL,
            model: cfg.DEEPGRAM_MODEL,
            language,
            interimResults: true,
            sampleRate: 16_000,
          }),
        };
      case 'openai':
        if (!cfg.OPENAI_API_KEY)
          throw new EngineConfigError('openai is in CREW_STT_PROVIDERS but OPENAI_API_KEY is not set');
        return {
          name,
          paid: true,
          stt: new openai.STT({
            apiKey: cfg.OPENAI_API_KEY,
            baseURL: cfg.OPENAI_BASE_URL,
            model: cfg.OPENAI_STT_MODEL,
            language: language.split('-')[0] ?? 'en',
            // One HTTP transcription per utterance, cut by our own VAD: the realtime socket ends
            // turns by the server's silence detection, which flush() cannot force.
            useRealtime: false,
          }),
        };
      case 'whisper':
        // tiny.en: English only, like the pocketsphinx models.
        return { name, paid: false, stt: new WhisperSTT(cfg.WHISPER_MODEL, 'en') };
      default:
        // The local models are English only: a room in another language still gets a (poor)
        // English fallback rather than silence; the agent logs the mismatch.
        return {
          name: 'local',
          paid: false,
          stt: new PocketsphinxSTT({
            binary: cfg.POCKETSPHINX_BIN,
            language: POCKETSPHINX_LANGUAGES.includes(language) ? language : 'en-US',
          }),
        };
    }
  });
}
