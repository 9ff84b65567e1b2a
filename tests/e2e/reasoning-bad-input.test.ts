/**
 * The reasoner and the audit command refuse bad input with clear errors: bad rules, MCP
 * configuration and voices at startup; a missing or damaged audit trail.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditPath } from '@roomcrew/shared';
import { describe, expect, it } from 'vitest';
import { writeStandupTrail } from '../support/audit-trail.js';
import { runProgram } from '../support/run.js';

const LIVEKIT = { LIVEKIT_URL: 'ws://127.0.0.1:7880', LIVEKIT_API_KEY: 'k', LIVEKIT_API_SECRET: 's' };
const tmp = () => mkdtempSync(join(tmpdir(), 'reasoner-bad-'));

describe('the reasoner refuses bad configuration at startup', () => {
  it('names bad variables and exits 2', async () => {
    const r = await runProgram('reasoner', [], {
      ...LIVEKIT,
      CREW_LLM_PROVIDERS: 'openai,magic',
      CREW_WEBHOOK_URL: 'not a url',
      CREW_ESCALATION_TIMEOUT_MS: '5',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CREW_LLM_PROVIDERS="openai,magic" is invalid');
    expect(r.stderr).toContain('CREW_WEBHOOK_URL="not a url" is invalid');
    expect(r.stderr).toContain('CREW_ESCALATION_TIMEOUT_MS="5" is invalid');
  });

  it('says what is wrong with a rules file, an MCP file, a missing key or voice', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'rules.json'),
      '[{"id":"x","on":["chat"],"pattern":"(","produce":{"insight":"note","text":"t"}}]',
    );
    const rules = await runProgram('reasoner', [], { ...LIVEKIT, CREW_RULES_FILE: join(dir, 'rules.json') });
    expect(rules.code).toBe(1);
    expect(rules.stdout + rules.stderr).toContain('rule x: the pattern is not a valid regular expression');

    writeFileSync(join(dir, 'mcp.json'), '{"servers":[{"name":"n","command":"x"}]}');
    const mcp = await runProgram('reasoner', [], { ...LIVEKIT, CREW_MCP_SERVERS: join(dir, 'mcp.json') });
    expect(mcp.code).toBe(1);
    expect(mcp.stdout + mcp.stderr).toMatch(/CREW_MCP_SERVERS .*mcp\.json: servers\.0\.allow/);

    const key = await runProgram('reasoner', [], { ...LIVEKIT, CREW_LLM_PROVIDERS: 'openai,rules' });
    expect(key.code).toBe(1);
    expect(key.stdout + key.stderr).toContain(
      'CREW_LLM_PROVIDERS includes openai, which needs OPENAI_API_KEY',
    );

    const voice = await runProgram('reasoner', [], { ...LIVEKIT, FLITE_BIN: '/nonexistent/flite' });
    expect(voice.code).toBe(1);
    expect(voice.stdout + voice.stderr).toContain('/nonexistent/flite was not found; install it with');
  });
});

describe('roomcrew audit', () => {
  it('prints a room’s trail, and fails on a missing or damaged one', async () => {
    const data = tmp();
    // Keyed with the data directory's key file, as the CLI below (run without CREW_ variables) is.
    writeStandupTrail(data, { env: {} });
    const ok = await runProgram('cli', ['audit', '--room', 'standup'], { CREW_DATA_DIR: data });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/#0 escalation\.request by agent-1 \[esc-1\]/);
    expect(ok.stdout).toMatch(/#1 escalation\.decision by op-1 \[esc-1\] {2}\{"decision":"approve"\}/);
    const json = await runProgram('cli', ['audit', '--room', 'standup', '--json'], { CREW_DATA_DIR: data });
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).kind),
    ).toEqual(['escalation.request', 'escalation.decision', 'tool.result']);

    const missing = await runProgram('cli', ['audit', '--room', 'nobody'], { CREW_DATA_DIR: data });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no audit trail for room "nobody"');

    const damaged = tmp();
    cpSync(data, damaged, { recursive: true }); // the trail with its head and key
    const path = auditPath(damaged, 'standup');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"approve"', '"reject"'));
    const bad = await runProgram('cli', ['audit', '--room', 'standup'], { CREW_DATA_DIR: damaged });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('the audit trail of room "standup" is NOT intact');
    expect(bad.stderr).toContain('bad_mac at #1: record #1 (line 2) fails its MAC');
  });
});
