import type { TakeoverState } from '@roomcrew/shared/contracts';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import type { TokenResponse } from '../../src/api';
import { CrewPanel } from './CrewPanel';
import type { ChatMessage, CrewRoomState, FeedEvent } from './crew-room';
import { DecisionHistory, EscalationCards } from './Escalations';

type Tab = 'captions' | 'feed' | 'chat' | 'decisions' | 'crew';

interface Props {
  crew: CrewRoomState & { sendChat(text: string): Promise<void> };
  session: TokenResponse;
  takeover: TakeoverState | undefined;
}

export function Sidebar({ crew, session, takeover }: Props) {
  const [tab, setTab] = useState<Tab>('captions');
  const tabs: [Tab, string, number?][] = [
    ['captions', 'Captions'],
    ['feed', 'Crew feed', crew.feed.length || undefined],
    ['chat', 'Chat', crew.chat.length || undefined],
  ];
  if (session.operator) tabs.push(['decisions', 'Decisions'], ['crew', 'Crew']);
  return (
    <aside className="rc-side">
      {session.operator && (
        <EscalationCards escalations={crew.escalations} session={session} takeover={takeover} />
      )}
      <div className="rc-tabs" role="tablist">
        {tabs.map(([id, label, count]) => (
          <button
            key={id}
            type="button"
            role="tab"
            aria-selected={tab === id}
            className={tab === id ? 'rc-tab rc-tab-on' : 'rc-tab'}
            onClick={() => setTab(id)}
          >
            {label}
            {count ? <span className="rc-count">{count}</span> : null}
          </button>
        ))}
      </div>
      <div className="rc-panel" role="tabpanel">
        {tab === 'captions' && <Captions captions={crew.captions} />}
        {tab === 'feed' && <Feed feed={crew.feed} />}
        {tab === 'chat' && <Chat chat={crew.chat} send={crew.sendChat} />}
        {tab === 'decisions' && <DecisionHistory decisions={crew.decisions} />}
        {tab === 'crew' && <CrewPanel session={session} agentStates={crew.agentStates} takeover={takeover} />}
      </div>
    </aside>
  );
}

/** A list that stays scrolled to its newest entry unless the reader scrolled up. */
function Scroller({ children, label }: { children: ReactNode; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  useEffect(() => {
    if (pinned.current && ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  });
  return (
    <div
      className="rc-scroll"
      role="log"
      ref={ref}
      aria-label={label}
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {children}
    </div>
  );
}

const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function Captions({ captions }: { captions: CrewRoomState['captions'] }) {
  if (captions.length === 0) return <Empty>Captions appear here as people speak.</Empty>;
  return (
    <Scroller label="Live captions">
      {captions.map((c) => (
        <p
          key={c.id}
          className={c.final ? 'rc-caption' : 'rc-caption rc-interim'}
          data-caption-final={c.final}
          data-segment={c.id}
          data-speaker={c.identity}
        >
          <span className="rc-speaker">{c.name}</span>
          <span className="rc-caption-text">{c.text}</span>
        </p>
      ))}
    </Scroller>
  );
}

function Feed({ feed }: { feed: FeedEvent[] }) {
  if (feed.length === 0) {
    return <Empty>Insights, action items, observations and tool results from the crew appear here.</Empty>;
  }
  return (
    <Scroller label="Crew feed">
      {feed.map((e) => (
        <article key={e.id} className={`rc-feed rc-feed-${e.type.replace('.', '-')}`} data-type={e.type}>
          <header>
            <span className="rc-feed-kind">{feedKind(e)}</span>
            <span className="rc-muted">{time(e.ts)}</span>
          </header>
          <FeedBody event={e} />
        </article>
      ))}
    </Scroller>
  );
}

function feedKind(e: FeedEvent): string {
  switch (e.type) {
    case 'vision.observation':
      return e.payload.source === 'screen' ? 'Screen' : 'Camera';
    case 'reasoning.insight':
      return e.payload.kind.replace(/^./, (c) => c.toUpperCase());
    case 'reasoning.action_item':
      return 'Action item';
    case 'tool.result':
      return 'Tool result';
  }
}

function FeedBody({ event: e }: { event: FeedEvent }) {
  switch (e.type) {
    case 'vision.observation':
      return (
        <p>
          <b>{e.payload.participant}</b>: {e.payload.summary}
        </p>
      );
    case 'reasoning.insight':
      return <p>{e.payload.text}</p>;
    case 'reasoning.action_item':
      return (
        <p>
          <b>{e.payload.owner}</b>: {e.payload.text}
          {e.payload.due ? <span className="rc-muted"> · due {e.payload.due}</span> : null}
        </p>
      );
    case 'tool.result':
      return (
        <p>
          <code>{e.payload.tool}</code>{' '}
          <span className={`rc-pill rc-pill-${e.payload.status}`} data-status={e.payload.status}>
            {e.payload.status}
          </span>
          {e.payload.error ? <span className="rc-muted"> {e.payload.error}</span> : null}
          {e.payload.result !== undefined ? (
            <span className="rc-result">{summarize(e.payload.result)}</span>
          ) : null}
        </p>
      );
  }
}

function summarize(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

function Chat({ chat, send }: { chat: ChatMessage[]; send(text: string): Promise<void> }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  return (
    <div className="rc-chat">
      {chat.length === 0 ? (
        <Empty>Say hello. The crew posts its notes here too.</Empty>
      ) : (
        <Scroller label="Chat">
          {chat.map((m) => (
            <div
              key={m.id}
              className={`rc-msg${m.mine ? ' rc-msg-mine' : ''}${m.agent ? ' rc-msg-agent' : ''}`}
            >
              <span className="rc-speaker">
                {m.mine ? 'You' : m.name} <span className="rc-muted">{time(m.at)}</span>
              </span>
              <span className="rc-msg-text">{m.text}</span>
            </div>
          ))}
        </Scroller>
      )}
      <form
        className="rc-chat-form"
        onSubmit={(e) => {
          e.preventDefault();
          const t = text.trim();
          if (!t) return;
          setText('');
          send(t).catch((err: Error) => setError(`Message not sent: ${err.message}`));
        }}
      >
        <input
          aria-label="Message"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="Message everyone"
          maxLength={2000}
        />
        <button type="submit" className="rc-primary" disabled={!text.trim()}>
          Send
        </button>
      </form>
      {error && <p className="rc-error">{error}</p>}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="rc-empty">{children}</p>;
}
