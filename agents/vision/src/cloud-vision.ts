/**
 * Cloud vision: any OpenAI-compatible vision model through `@livekit/agents-plugin-openai`, the
 * frame given as `llm.createImageContent`. Used first when configured; on an error, a timeout or
 * an answer without text the local analysers take over for that frame.
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

export interface CloudVisionOptions {
  apiKey: string;
  baseURL: string;
  model: string;
}

export class CloudVision {
  constructor(
    private readonly opts: CloudVisionOptions,
    private readonly timeoutMs: number,
  ) {
    this.#model(); // bad options fail at startup, not on the first frame
  }

  #model(): openai.LLM {
    return new openai.LLM({ apiKey: this.opts.apiKey, baseURL: this.opts.baseURL, model: this.opts.model });
  }

  /**
   * The model's description of `frame`. Throws when the request fails, the answer is garbage or
   * empty, or it is not complete within the timeout (a partial answer is never returned as one).
   */
  async describe(frame: VideoFrame, source: VideoSource): Promise<string> {
    // One plugin LLM per request: the plugin reports a failed request (HTTP error, bad JSON, a
    // dropped connection) only as an 'error' event on its LLM while the stream itself just ends,
    // so a per-request instance is what ties the error to this frame.
    const model = this.#model();
    let failure: Error | undefined;
    model.on('error', (e) => {
      failure ??= e.error;
    });
    const chatCtx = llm.ChatContext.empty();
    chatCtx.addMessage({
      role: 'user',
      content: [
        PROMPTS[source],
        llm.createImageContent({ image: frame, inferenceDetail: 'low', inferenceWidth: 768 }),
      ],
    });
    const stream = model.chat({
      chatCtx,
      connOptions: { maxRetry: 0, timeoutMs: this.timeoutMs, retryIntervalMs: 0 },
    });
    let text = '';
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      stream.close();
    }, this.timeoutMs);
    try {
      for await (const chunk of stream) text += chunk.delta?.content ?? '';
    } finally {
      clearTimeout(deadline);
      model.removeAllListeners('error');
    }
    if (failure) throw new Error(`the vision model failed: ${failure.message}`);
    if (timedOut) throw new Error(`the vision model did not finish within ${this.timeoutMs} ms`);
    text = text.trim();
    if (!text) throw new Error('the vision model returned no description');
    return text;
  }
}
