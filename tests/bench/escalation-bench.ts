/**
 * Benchmarks of the human in the loop (DESIGN.md budgets: p50 ≤ 50 ms each, human time excluded):
 * - escalation raised (the reasoner creates the event) → the operator has it;
 * - decision (the operator calls crew.escalation.decide) → the tool runs (the webhook receives it);
 * - reasoner input → insight: a chat line with an action item → the action item reaches a person,
 *   with the rule engine, against the baseline of the same chat line reaching that person directly.
 */
import { dispatchCrew } from '@roomcrew/cli';
import { AGENT_NAMES } from '@roomcrew/shared';
import { chat, collectChat, decide, waitForEvent } from '../support/crew-chat.js';
import { startCrew } from '../support/crew-harness.js';
import { waitForAgentState } from '../support/crew-room.js';
import { collectCrewEvents, join } from '../support/room-client.js';
import { waitFor } from '../support/wait.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';
import { summarize } from './stats.js';

export async function benchEscalations(iterations: number) {
  const hook = await startWebhookReceiver();
  const crew = await startCrew('bench-escalation', {
    roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.reasoner],
    env: {
      LOG_LEVEL: 'info',
      CREW_WEBHOOK_URL: hook.url,
      CREW_ESCALATION_TIMEOUT_MS: '600000',
      // One person posts every item: the per-source limit would measure the limiter, not the path.
      CREW_UNTRUSTED_ACTIONS_PER_MINUTE: '1000',
    },
  });
  try {
    const room = 'bench-escalation';
    await dispatchCrew(crew.target, room, { agents: [AGENT_NAMES.reasoner] });
    const operator = await join(crew.target, room, 'bench-op', 'operator', 'Operator');
    const person = await join(crew.target, room, 'bench-person', 'participant', 'Person');
    const opEvents = collectCrewEvents(operator);
    const personEvents = collectCrewEvents(person);
    const opChat = collectChat(operator);
    collectChat(person); // the person reads the chat too (and rtc-node logs nothing about unhandled streams)
    await waitForAgentState(person, AGENT_NAMES.reasoner, 'listening');

    const notified: number[] = [];
    const toolRuns: number[] = [];
    const handled = new Set<string>();
    for (let i = 0; i < iterations; i++) {
      await chat(person, `Send the notes of round ${i} to the team chat.`);
      const request = await waitForEvent(opEvents, 'escalation.request', (e) => !handled.has(e.id));
      handled.add(request.id);
      const received = opEvents.find((r) => r.event.id === request.id)?.at as number;
      notified.push(received - request.ts);
      const posts = hook.received.length;
      const t0 = Date.now();
      const answer = await decide(operator, {
        escalationId: request.payload.escalationId,
        decision: 'approve',
      });
      if (!answer.ok) throw new Error(`decision refused: ${answer.message}`);
      await waitFor(() => hook.received.length > posts || undefined, 'the webhook post');
      toolRuns.push((hook.received.at(-1)?.at as number) - t0);
    }

    const toInsight: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const line = `Action item: prepare slide ${i} of the deck`;
      const sent = Date.now();
      await chat(person, line);
      const item = await waitForEvent(personEvents, 'reasoning.action_item', (e) =>
        e.payload.text.endsWith(`slide ${i} of the deck`),
      );
      toInsight.push((personEvents.find((r) => r.event.id === item.id)?.at as number) - sent);
      const seen = await waitFor(() => opChat.find((m) => m.text === line), 'the chat line at the operator');
      direct.push(seen.at - sent);
    }
    const n = summarize(notified);
    const t = summarize(toolRuns);
    const ins = summarize(toInsight);
    const dir = summarize(direct);
    return {
      bench: 'escalations',
      iterations,
      raisedToOperatorMs: n,
      decisionToToolRunsMs: t,
      budgetP50Ms: 50,
      withinBudget: n.p50 <= 50 && t.p50 <= 50,
      ruleEngine: {
        chatToActionItemMs: ins,
        chatDirectToPersonMs: dir,
        addedByReasonerP50Ms: Math.round((ins.p50 - dir.p50) * 10) / 10,
      },
    };
  } finally {
    await crew.stop();
    await hook.stop();
  }
}
