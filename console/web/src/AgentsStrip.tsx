import { useParticipants } from '@livekit/components-react';
import type { CrewRoomState } from './crew-room';
import { agentLabel, agentNameOf } from './crew-room';

const STATE_TEXT: Record<string, string> = {
  initializing: 'Starting',
  listening: 'Listening',
  thinking: 'Thinking',
  speaking: 'Speaking',
  idle: 'Idle',
};

/** The crew as agents (not video tiles): who is here and what each is doing. */
export function AgentsStrip({ agentStates }: { agentStates: CrewRoomState['agentStates'] }) {
  const agents = useParticipants().filter((p) => p.isAgent);
  if (agents.length === 0) {
    return <div className="rc-agents rc-muted">No agents in this room yet.</div>;
  }
  return (
    <ul className="rc-agents" aria-label="Agents in the room">
      {agents.map((p) => {
        const name = agentNameOf(p);
        const lkState = p.attributes['lk.agent.state'];
        const crewState = name ? agentStates[name]?.state : undefined;
        const state = lkState
          ? (STATE_TEXT[lkState] ?? lkState)
          : crewState === 'degraded'
            ? 'Degraded'
            : 'Ready';
        return (
          <li
            key={p.identity}
            className={`rc-agent${p.isSpeaking ? ' rc-agent-speaking' : ''}`}
            data-agent={name}
            data-state={lkState ?? crewState ?? 'ready'}
          >
            <span className="rc-agent-avatar" aria-hidden="true">
              {agentLabel(name).slice(0, 1)}
            </span>
            <span className="rc-agent-name">{agentLabel(name)}</span>
            <span className={`rc-dot rc-dot-${crewState === 'degraded' ? 'warn' : 'ok'}`} />
            <span className="rc-agent-state">{state}</span>
          </li>
        );
      })}
    </ul>
  );
}
