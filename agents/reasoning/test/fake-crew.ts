/**
 * The reasoner's tool calls without a room: crew events go through the real contracts
 * (createCrewEvent validates every payload) into a list, decisions come from a fake orchestrator.
 */
import { ParticipantKind, type RemoteParticipant } from '@livekit/rtc-node';
import { AGENT_NAMES, ATTR_AGENT_NAME, type CrewEvent, createCrewEvent, type Logger } from '@roomcrew/shared';
import { CrewOutput } from '../src/crew-output.js';
import { newStats } from '../src/reasoner-stats.js';
import type { RoomInput } from '../src/room-input.js';
import { RoomMemory } from '../src/room-memory.js';
import { ToolCalls } from '../src/tool-calls.js';
import type { ToolRegistry } from '../src/tool-registry.js';

export const ROOM = 'room-under-test';

export function chatFrom(identity: string, name: string, text: string, ref = `chat-${identity}`): RoomInput {
  return {
    source: 'chat',
    kind: 'chat',
    who: { identity, name },
    text,
    ts: Date.now(),
    ref,
    addressed: false,
  };
}

export function fakeCrew(registry: ToolRegistry) {
  const sent: CrewEvent[] = [];
  /** Payloads the contracts refused (a bug in the reasoner). */
  const invalid: string[] = [];
  const logs: Record<string, unknown>[] = [];
  // Records what would be logged, so tests can check what a refusal says and names.
  const record =
    (level: string) =>
    (fields: Record<string, unknown> | string, msg?: string): void => {
      logs.push(typeof fields === 'string' ? { level, msg: fields } : { level, ...fields, msg });
    };
  const log = {
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  } as unknown as Logger;
  const channel = {
    sendToOrchestrator: async (type: never, payload: never, corr?: string) => {
      try {
        const event = createCrewEvent(type, payload, { room: ROOM, from: 'reasoner-1', corr });
        sent.push(event);
        return event;
      } catch (e) {
        invalid.push(`${type}: ${(e as Error).message}`);
        throw e;
      }
    },
  };
  const chats: string[] = [];
  const room = {
    localParticipant: {
      sendText: async (text: string) => {
        chats.push(text);
      },
    },
  };
  const memory = new RoomMemory(2000);
  const stats = newStats();
  const output = new CrewOutput({
    room: room as never,
    channel: channel as never,
    log,
    memory,
    silenced: () => false,
  });
  const calls = new ToolCalls({
    registry,
    output,
    memory,
    log,
    escalationTimeoutMs: 60_000,
    stats,
    nameOf: (identity) => identity,
  });
  const orchestrator = {
    identity: 'orchestrator-1',
    kind: ParticipantKind.AGENT,
    attributes: { [ATTR_AGENT_NAME]: AGENT_NAMES.orchestrator },
  } as unknown as RemoteParticipant;
  const of = <T extends CrewEvent['type']>(type: T) =>
    sent.filter((e): e is Extract<CrewEvent, { type: T }> => e.type === type);
  return {
    calls,
    output,
    sent,
    invalid,
    logs,
    chats,
    stats,
    of,
    /** The orchestrator's decision on an escalation, first-hand. */
    decide(escalationId: string, decision: 'approve' | 'reject', decidedBy = 'op-olga') {
      calls.onDecision(
        createCrewEvent(
          'escalation.decision',
          { escalationId, decision, decidedBy, fallback: false },
          { room: ROOM, from: orchestrator.identity },
        ),
        orchestrator,
      );
    },
  };
}

/** Resolves once `check` returns something truthy (polling; these tests run in one process). */
export async function until<T>(check: () => T | undefined | false, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
