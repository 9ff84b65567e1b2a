/** The reasoner's settings (README, Configuration). */
import { DATA_ENV, OPENAI_ENV, readConfig, urlVar } from '@roomcrew/shared';
import { z } from 'zod';

const list = <T extends string>(allowed: readonly T[]) =>
  z
    .string()
    .transform((s) => s.split(',').map((p) => p.trim()))
    .pipe(z.array(z.enum(allowed as [T, ...T[]])).min(1));

export const REASONER_ENV = {
  ...DATA_ENV,
  ...OPENAI_ENV,
  CREW_REASONER_NAMES: {
    schema: z
      .string()
      .default('crew,roomcrew')
      .transform((s) =>
        s
          .split(',')
          .map((n) => n.trim().toLowerCase())
          .filter(Boolean),
      ),
    expect: 'comma-separated names the reasoner answers to when addressed (default crew,roomcrew)',
  },
  CREW_LLM_PROVIDERS: {
    schema: list(['openai', 'rules'] as const).optional(),
    expect:
      "brains in fallback order: 'rules' (offline rule engine) or 'openai,rules' (default: openai,rules when OPENAI_API_KEY is set, else rules)",
  },
  OPENAI_LLM_MODEL: {
    schema: z.string().min(1).default('gpt-4o-mini'),
    expect: 'a chat model with tool calling',
  },
  CREW_LLM_TIMEOUT_MS: {
    schema: z.coerce.number().int().min(500).max(120_000).default(10_000),
    expect: 'how long a model answer may take before the next brain takes over (ms, default 10000)',
  },
  CREW_RULES_FILE: {
    schema: z.string().min(1).optional(),
    expect: 'a JSON file of rule-engine triggers replacing the built-in ones (README, Rules)',
  },
  CREW_WEBHOOK_URL: {
    schema: urlVar(['http:', 'https:']).optional(),
    expect: 'where send_webhook posts Slack-compatible JSON (an incoming-webhook URL)',
  },
  CREW_WEBHOOK_TIMEOUT_MS: {
    schema: z.coerce.number().int().min(100).max(60_000).default(5000),
    expect: 'how long a webhook post may take (ms, default 5000)',
  },
  CREW_MCP_SERVERS: {
    schema: z.string().min(1).optional(),
    expect: 'a JSON file listing MCP servers, their allowed tools and impact (README, MCP tools)',
  },
  CREW_ESCALATION_TIMEOUT_MS: {
    schema: z.coerce.number().int().min(1000).max(3_600_000).default(120_000),
    expect: 'how long an operator has to decide an escalation (ms, default 120000)',
  },
  CREW_UNTRUSTED_ACTIONS_PER_MINUTE: {
    schema: z.coerce.number().int().min(1).max(1000).default(6),
    expect: 'notes and action items the content of one participant may cause per minute (1-1000, default 6)',
  },
  CREW_CONTEXT_TOKENS: {
    schema: z.coerce.number().int().min(200).max(100_000).default(3000),
    expect: 'size of the rolling context given to the model, in tokens (default 3000)',
  },
  CREW_TTS_PROVIDERS: {
    schema: list(['elevenlabs', 'openai', 'local'] as const).optional(),
    expect:
      'voices in fallback order among elevenlabs, openai, local (default: the cloud ones whose key is set, then local)',
  },
  CREW_TTS_VOICE: { schema: z.string().min(1).default('slt'), expect: 'the local flite voice (default slt)' },
  FLITE_BIN: { schema: z.string().min(1).default('flite'), expect: 'the flite executable, a name or a path' },
  ELEVEN_API_KEY: { schema: z.string().min(1).optional(), expect: 'an ElevenLabs API key' },
  OPENAI_TTS_MODEL: { schema: z.string().min(1).default('gpt-4o-mini-tts'), expect: 'an OpenAI TTS model' },
  OPENAI_TTS_VOICE: { schema: z.string().min(1).default('alloy'), expect: 'an OpenAI TTS voice' },
};

export type ReasonerConfig = ReturnType<typeof reasonerConfig>;
export const reasonerConfig = (env: NodeJS.ProcessEnv = process.env) => readConfig(REASONER_ENV, env);

/** The brains in order: what was asked for, else the model when a key is set, always ending offline. */
export function llmChain(cfg: ReasonerConfig): ('openai' | 'rules')[] {
  return cfg.CREW_LLM_PROVIDERS ?? (cfg.OPENAI_API_KEY ? ['openai', 'rules'] : ['rules']);
}

export function ttsChain(cfg: ReasonerConfig): ('elevenlabs' | 'openai' | 'local')[] {
  if (cfg.CREW_TTS_PROVIDERS) return cfg.CREW_TTS_PROVIDERS;
  return [
    ...(cfg.ELEVEN_API_KEY ? (['elevenlabs'] as const) : []),
    ...(cfg.OPENAI_API_KEY ? (['openai'] as const) : []),
    'local' as const,
  ];
}
