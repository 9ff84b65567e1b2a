/**
 * Cloud vision: any OpenAI-compatible vision model through `@livekit/agents-plugin-openai`, the
 * frame given as `llm.createImageContent`. Used first when configured; on an error or timeout the
 * local analysers take over for that frame.
 */
import { llm } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import type { VideoFrame } from '@livekit/rtc-node';
import type { VideoSource } from './subscription-policy.js';

const PROMPTS: Record<VideoSource, string> = {
  camera:
    'This is one frame of a participant camera in a video call. In one or two short sentences, say who is visible, where they look and anything notable. Do not guess identities.',
  screen:
    'This is one frame of a screen share in a video call. In one or two short sentences, say what is shown (slide, code, document) and its main point.',
};

export class CloudVision {
  readonly #llm: openai.LLM;

  constructor(
    opts: { apiKey: string; baseURL: string; model: string },
    private readonly timeoutMs: number,
  ) {
    this.#llm = new openai.LLM({ apiKey: opts.apiKey, baseURL: opts.baseURL, model: opts.model });
  }

  async describe(frame: VideoFrame, source: VideoSource): Promise<string> {
    const chatCtx = llm.ChatContext.empty();
    chatCtx.addMessage({
      role: 'user',
      content: [
        PROMPTS[source],
        llm.createImageContent({ image: frame, inferenceDetail: 'low', inferenceWidth: 768 }),
      ],
    });
    const stream = this.#llm.chat({
      chatCtx,
      connOptions: { maxRetry: 0, timeoutMs: this.timeoutMs, retryIntervalMs: 0 },
    });
    let text = '';
    const deadline = setTimeout(() => stream.close(), this.timeoutMs);
    try {
      for await (const chunk of stream) text += chunk.delta?.content ?? '';
    } finally {
      clearTimeout(deadline);
    }
    text = text.trim();
    if (!text) throw new Error('the vision model returned no description');
    return text;
  }
}
