/**
 * Tool calls as the registry decides them: run, ask an operator first, or refuse; every outcome is
 * reported as crew events (`tool.call`, `escalation.request`, `tool.result`) the orchestrator
 * audits. Escalations say whose content triggered them, and content from people is never
 * recommended for approval. An operator's approval of an external tool's first use vets it for
 * the rest of the room.
 */
import { randomUUID } from 'node:crypto';
import type { RemoteParticipant } from '@livekit/rtc-node';
import { AGENT_NAMES, type CrewEvent, type CrewPayload, type Logger } from '@roomcrew/shared';
import { agentNameOf } from '@roomcrew/shared/room';
import { ESCALATE_TOOL } from './builtin-tools.js';
import type { CrewOutput } from './crew-output.js';
import { DecisionWaits } from './decision-waits.js';
import { clipDescription } from './mcp-tools.js';
import { originOf, recommendation, triggerOf } from './provenance.js';
import type { ReasonerStats } from './reasoner-stats.js';
import type { RoomInput } from './room-input.js';
import type { RoomMemory } from './room-memory.js';
import type { ToolPlan, ToolRegistry, ToolSpec } from './tool-registry.js';

const MAX_OPEN_ESCALATIONS = 20;
/** How long after its deadline an escalation with no answer is given up (orchestrator gone). */
const DECISION_GRACE_MS = 10_000;

export interface ToolCallsOptions {
  registry: ToolRegistry;
  output: CrewOutput;
  memory: RoomMemory;
  log: Logger;
  escalationTimeoutMs: number;
  stats: ReasonerStats;
  /** A participant's display name (for the room's account of a decision). */
  nameOf: (identity: string) => string;
}

export class ToolCalls {
  readonly #o: ToolCallsOptions;
  readonly #waits = new DecisionWaits();

  constructor(o: ToolCallsOptions) {
    this.#o = o;
  }

  /** Escalations waiting for a decision. */
  get open(): number {
    return this.#waits.size;
  }

  /** An `escalation.decision` event: taken only first-hand from the orchestrator. */
  onDecision(event: CrewEvent<'escalation.decision'>, sender: RemoteParticipant): void {
    if (agentNameOf(sender) !== AGENT_NAMES.orchestrator || event.from !== sender.identity) {
      this.#o.log.warn(
        { from: event.from, sender: sender.identity },
        'decision not from the orchestrator; ignored',
      );
      return;
    }
    this.#waits.resolve(event.payload);
  }

  close(): void {
    this.#waits.clear();
  }

  /** A tool call as the registry decides it: run, ask an operator first, or refuse (all reported). */
  async call(
    name: string,
    args: Record<string, unknown>,
    reason: string,
    input?: RoomInput,
    recommend?: 'approve' | 'reject',
  ): Promise<void> {
    const { registry, output } = this.#o;
    const callId = `call-${randomUUID()}`;
    const plan = registry.plan(AGENT_NAMES.reasoner, name, args, originOf(input));
    if (plan.kind === 'refuse') {
      await this.refused(name, plan, input, callId);
      return;
    }
    // Nothing runs off the record: without an orchestrator to audit the call (and to hold any
    // takeover), the call is dropped and said so in the log.
    if (!(await output.send('tool.call', { callId, tool: name, args: plan.args }))) {
      this.#o.log.warn({ tool: name, callId }, 'tool call not run: no orchestrator to audit it');
      return;
    }
    if (plan.kind === 'run') {
      await this.#run(callId, plan.tool, plan.args, input?.ref);
      return;
    }
    if (this.#waits.size >= MAX_OPEN_ESCALATIONS) {
      await output.send('tool.result', {
        callId,
        tool: name,
        status: 'dropped',
        error: `${MAX_OPEN_ESCALATIONS} escalations are already waiting for an operator`,
      });
      return;
    }
    // Waiting for a human must not hold up listening: the decision is awaited on the side.
    void this.#escalate(callId, plan.tool, plan.args, reason, plan.firstUse, input, recommend);
  }

  /**
   * Reports a refusal like every other: counted, logged (with the source when it was the
   * per-minute budget) and sent as a rejected `tool.result`, which the orchestrator audits.
   * `what` is the tool, or `reasoning.insight` for a post a brain wanted to make.
   */
  async refused(
    what: string,
    plan: Extract<ToolPlan, { kind: 'refuse' }>,
    input?: RoomInput,
    callId = `call-${randomUUID()}`,
  ): Promise<void> {
    const { output, log, stats } = this.#o;
    stats.refused++;
    if (plan.limit) {
      stats.rateLimited++;
      log.warn(
        { tool: what, code: plan.code, callId, ...plan.limit, ref: input?.ref },
        `tool call refused: ${plan.error}`,
      );
    } else log.warn({ tool: what, code: plan.code, callId }, `tool call refused: ${plan.error}`);
    await output.send('tool.result', {
      callId,
      tool: what,
      status: 'rejected',
      error: plan.error,
      ...(plan.limit ? { result: { rateLimited: plan.limit } } : {}),
    });
  }

  async #escalate(
    callId: string,
    tool: ToolSpec,
    args: Record<string, unknown>,
    reason: string,
    firstUse: boolean,
    input?: RoomInput,
    recommend?: 'approve' | 'reject',
  ): Promise<void> {
    const { output, memory, log, stats } = this.#o;
    const escalationId = `esc-${randomUUID()}`;
    const deadline = Date.now() + this.#o.escalationTimeoutMs;
    const answered = this.#waits.wait(escalationId, deadline - Date.now() + DECISION_GRACE_MS);
    const trigger = triggerOf(input);
    const request: CrewPayload<'escalation.request'> = {
      escalationId,
      tool: tool.name,
      args,
      reason: reason.slice(0, 500),
      context: memory.recap(600),
      recommended: recommendation(trigger, input, recommend),
      deadline,
      trigger,
      // External tools describe themselves: the operator sees what this one claims to do.
      ...(tool.mcp
        ? { toolInfo: { description: clipDescription(tool.description), server: tool.mcp.server, firstUse } }
        : {}),
    };
    stats.escalations++;
    const sent = await output.send('escalation.request', request, callId);
    if (!sent) {
      this.#waits.forget(escalationId);
      await output.send('tool.result', {
        callId,
        tool: tool.name,
        status: 'dropped',
        error: 'no orchestrator in the room to ask an operator; the call was not run',
      });
      return;
    }
    log.info(
      {
        escalationId,
        tool: tool.name,
        callId,
        trigger: trigger.kind,
        from: trigger.from,
        untrusted: trigger.untrusted,
        firstUse,
      },
      'asked an operator',
    );
    const decision = await answered;
    if (!decision) {
      await output.send('tool.result', {
        callId,
        tool: tool.name,
        status: 'dropped',
        error: 'no decision arrived; the call was not run',
      });
      return;
    }
    const who = this.#o.nameOf(decision.decidedBy);
    const summary = `${decision.fallback ? 'Nobody decided in time, so the fallback' : who} ${decision.decision === 'approve' ? 'approved' : 'rejected'} ${tool.name}${decision.note ? ` (${decision.note})` : ''}`;
    memory.note('decisions', summary);
    const host = output.host(new AbortController().signal, input?.ref);
    await host.insight('decision', summary);
    if (decision.decision === 'approve' && decision.fallback && firstUse) {
      // The promise is that an operator sees an external tool before it ever runs: a deadline
      // fallback of "approve" is nobody seeing it.
      await output.send('tool.result', {
        callId,
        tool: tool.name,
        status: 'rejected',
        error: `${tool.name} has not been approved by an operator in this room yet; a deadline fallback does not approve its first use`,
      });
      return;
    }
    if (decision.decision === 'reject') {
      await output.send('tool.result', {
        callId,
        tool: tool.name,
        status: 'rejected',
        error: decision.fallback
          ? 'nobody decided before the deadline; rejected by default'
          : `rejected by ${who}${decision.note ? `: ${decision.note}` : ''}`,
      });
      if (tool.name === ESCALATE_TOOL) await host.chat('No operator could help this time.');
      return;
    }
    // Edited arguments are checked against the tool's schema like the original ones.
    let runArgs = args;
    if (decision.args) {
      const checked = tool.validate(decision.args);
      if (!checked.ok) {
        await output.send('tool.result', {
          callId,
          tool: tool.name,
          status: 'error',
          error: `the operator's edited arguments are invalid: ${checked.error}`,
        });
        return;
      }
      runArgs = checked.args;
    }
    if (firstUse) {
      // Seen and approved once by an operator: from now on it runs by its impact in this room.
      this.#o.registry.vet(tool.name);
      log.info({ tool: tool.name, server: tool.mcp?.server, by: decision.decidedBy }, 'MCP tool vetted');
    }
    if (tool.name === ESCALATE_TOOL && decision.note) await host.chat(`${who}: ${decision.note}`);
    await this.#run(callId, tool, runArgs, input?.ref, decision.decidedBy);
  }

  async #run(
    callId: string,
    tool: ToolSpec,
    args: Record<string, unknown>,
    ref?: string,
    approvedBy?: string,
  ): Promise<void> {
    const { output, log, stats } = this.#o;
    stats.tools++;
    const ctl = new AbortController();
    try {
      const result = await tool.run(args, output.host(ctl.signal, ref));
      await output.send('tool.result', {
        callId,
        tool: tool.name,
        status: 'ok',
        result: approvedBy ? { ...(result as object), approvedBy, args } : result,
      });
    } catch (e) {
      log.error({ err: e, tool: tool.name, callId }, 'tool failed');
      await output.send('tool.result', {
        callId,
        tool: tool.name,
        status: 'error',
        error: (e as Error).message,
      });
    }
  }
}
