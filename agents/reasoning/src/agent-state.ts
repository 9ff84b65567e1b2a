/**
 * The reasoner's `lk.agent.state` attribute (listening, thinking, speaking), which front ends show.
 * Nothing is published before the reasoner first listens (it acts only once the orchestrator answers).
 */
import type { Room } from '@livekit/rtc-node';
import { LK_ATTR_AGENT_STATE, type Logger } from '@roomcrew/shared';

export type AgentState = 'listening' | 'thinking' | 'speaking';

export class AgentStateAttribute {
  #state = '';

  constructor(
    private readonly room: Room,
    private readonly log: Logger,
  ) {}

  async set(state: AgentState): Promise<void> {
    if (this.#state === state || (this.#state === '' && state !== 'listening')) return;
    this.#state = state;
    try {
      await this.room.localParticipant?.setAttributes({ [LK_ATTR_AGENT_STATE]: state });
    } catch (e) {
      this.log.debug({ err: e }, 'agent state not updated');
    }
  }
}
