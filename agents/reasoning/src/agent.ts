/**
 * crew-reasoner: no media by default; thinks about routed transcript segments, vision
 * observations and chat, produces insights and action items, acts through scoped tools with
 * operator approval for anything with consequences, and answers aloud when addressed.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineAgent, type JobContext } from '@livekit/agents';
import { AGENT_NAMES, findExecutable, SETUP_COMMAND } from '@roomcrew/shared';
import { startCrewJob } from '@roomcrew/shared/worker';
import { type Brain, BrainChain, ModelBrain, RuleBrain } from './brains.js';
import { registerBuiltins } from './builtin-tools.js';
import { llmChain, reasonerConfig } from './config.js';
import { McpTools, readMcpConfig } from './mcp-tools.js';
import { RoomMemory } from './room-memory.js';
import { RoomReasoner } from './room-reasoner.js';
import { loadRules } from './rules.js';
import { ToolRegistry } from './tool-registry.js';
import { ttsEngines, Voice } from './voice.js';

export default defineAgent({
  entry: async (ctx: JobContext) => {
    const cfg = reasonerConfig();
    const job = await startCrewJob(ctx, AGENT_NAMES.reasoner);
    if (!job) return; // a copy of this agent is already in the room
    const { log, channel } = job;
    const roomName = ctx.room.name ?? '';

    // One registry per room: the per-source budget and the vetted MCP tools are this room's.
    const registry = new ToolRegistry({ untrustedActionsPerMinute: cfg.CREW_UNTRUSTED_ACTIONS_PER_MINUTE });
    registerBuiltins(registry, { url: cfg.CREW_WEBHOOK_URL, timeoutMs: cfg.CREW_WEBHOOK_TIMEOUT_MS });
    const mcp = new McpTools();
    if (cfg.CREW_MCP_SERVERS) {
      const tools = await mcp.connect(readMcpConfig(cfg.CREW_MCP_SERVERS), registry, log);
      log.info({ tools }, 'MCP tools registered');
    }
    const brains: Brain[] = llmChain(cfg).map((name) =>
      name === 'openai'
        ? new ModelBrain(
            {
              apiKey: cfg.OPENAI_API_KEY ?? 'unset',
              baseURL: cfg.OPENAI_BASE_URL,
              model: cfg.OPENAI_LLM_MODEL,
            },
            () => registry.allowed(AGENT_NAMES.reasoner),
            cfg.CREW_LLM_TIMEOUT_MS,
          )
        : new RuleBrain(loadRules(cfg.CREW_RULES_FILE)),
    );
    const voice = new Voice(ttsEngines(cfg, findExecutable(cfg.FLITE_BIN, SETUP_COMMAND)), log);
    const orchestratorReady = channel.reachOrchestrator(30_000).then((id) => {
      if (!id) log.error('no orchestrator answered within 30 s; the reasoner acts once one does');
      return id ?? channel.reachOrchestrator(Number.POSITIVE_INFINITY);
    });
    const reasoner = new RoomReasoner({
      orchestratorReady,
      room: ctx.room,
      channel,
      log,
      registry,
      brain: new BrainChain(brains, log),
      memory: new RoomMemory(cfg.CREW_CONTEXT_TOKENS),
      names: cfg.CREW_REASONER_NAMES,
      escalationTimeoutMs: cfg.CREW_ESCALATION_TIMEOUT_MS,
      voice,
      onSummary: async (text) => {
        const dir = join(cfg.CREW_DATA_DIR, 'summaries');
        await mkdir(dir, { recursive: true });
        const path = join(dir, `${encodeURIComponent(roomName)}.md`);
        // Whole or not at all: readers never see a half-written summary.
        await writeFile(`${path}.tmp`, `${text}\n`);
        await rename(`${path}.tmp`, path);
        log.info({ path }, 'room summary written');
      },
    });
    ctx.addShutdownCallback(async () => {
      await reasoner.summarize().catch((e) => log.warn({ err: e }, 'no summary at shutdown'));
      reasoner.close();
      await voice.close();
      await mcp.close();
      log.info({ stats: reasoner.stats }, 'reasoner stopping');
    });
    // Listen from the first moment (chat and events are not replayed); act once the orchestrator answers.
    reasoner.start();
    await voice.publish(ctx.room);
    log.info(
      { brains: brains.map((b) => b.name), tools: registry.allowed(AGENT_NAMES.reasoner).map((t) => t.name) },
      'reasoner ready',
    );
  },
});
