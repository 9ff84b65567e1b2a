import { describe, expect, it } from 'vitest';
import {
  AGENT_NAMES,
  CREW_MEMBERS,
  crewJobMetadataSchema,
  DEFAULT_CREW,
  memberJobMetadataSchema,
  memberMetadataOf,
  parseJobMetadata,
  toMs,
} from '../src/crew.js';

function expectOk<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(`expected ok, got error: ${r.error}`);
  return r.value;
}

function expectErr(r: { ok: true; value: unknown } | { ok: false; error: string }): string {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value)}`);
  expect(typeof r.error).toBe('string');
  return r.error;
}

describe('crew constants', () => {
  it('lists only known agent names as crew members, and not the orchestrator', () => {
    const names: string[] = Object.values(AGENT_NAMES);
    for (const m of CREW_MEMBERS) expect(names).toContain(m);
    expect(CREW_MEMBERS as readonly string[]).not.toContain(AGENT_NAMES.orchestrator);
  });

  it('uses the agent names of the design', () => {
    expect(AGENT_NAMES.orchestrator).toBe('crew-orchestrator');
    expect(AGENT_NAMES.transcriber).toBe('crew-transcriber');
  });
});

describe('parseJobMetadata with crewJobMetadataSchema', () => {
  it.each([undefined, '', '   ', '\n'])('treats %j as the default crew', (raw) => {
    const md = expectOk(parseJobMetadata(crewJobMetadataSchema, raw));
    expect(md.crew).toEqual([...DEFAULT_CREW]);
    expect(md.language).toBeUndefined();
  });

  it('treats {} as the default crew', () => {
    expect(expectOk(parseJobMetadata(crewJobMetadataSchema, '{}')).crew).toEqual([...DEFAULT_CREW]);
  });

  it('does not share the default array between results', () => {
    const a = expectOk(parseJobMetadata(crewJobMetadataSchema, ''));
    a.crew.length = 0;
    const b = expectOk(parseJobMetadata(crewJobMetadataSchema, ''));
    expect(b.crew).toEqual([...DEFAULT_CREW]);
  });

  it('keeps an explicit crew and language', () => {
    const md = expectOk(
      parseJobMetadata(
        crewJobMetadataSchema,
        JSON.stringify({ crew: [AGENT_NAMES.transcriber], language: 'fr' }),
      ),
    );
    expect(md).toEqual({ crew: [AGENT_NAMES.transcriber], language: 'fr' });
    expect(expectOk(parseJobMetadata(crewJobMetadataSchema, '{"crew":[]}')).crew).toEqual([]);
  });

  it.each(['{', 'crew-transcriber', "{'crew':[]}", '{"crew":[}'])(
    'reports invalid JSON %j as an error',
    (raw) => {
      const error = expectErr(parseJobMetadata(crewJobMetadataSchema, raw));
      expect(error).toContain('not JSON');
      expect(error).toContain(raw);
    },
  );

  it('quotes at most 200 characters of bad JSON', () => {
    const raw = `{${'x'.repeat(1000)}`;
    const error = expectErr(parseJobMetadata(crewJobMetadataSchema, raw));
    expect(error).toContain(raw.slice(0, 200));
    expect(error).not.toContain(raw.slice(0, 201));
  });

  it('rejects an unknown agent name, naming the field', () => {
    const error = expectErr(
      parseJobMetadata(crewJobMetadataSchema, '{"crew":["crew-transcriber","crew-hacker"]}'),
    );
    expect(error).toContain('bad job metadata');
    expect(error).toContain('crew.1');
  });

  it('rejects the orchestrator as a crew member', () => {
    expectErr(parseJobMetadata(crewJobMetadataSchema, JSON.stringify({ crew: [AGENT_NAMES.orchestrator] })));
  });

  it.each([
    ['null', '(root)'],
    ['[]', '(root)'],
    ['"crew"', '(root)'],
    ['{"crew":"crew-transcriber"}', 'crew'],
    ['{"language":"x"}', 'language'],
    ['{"language":"abcdefghijklmnopq"}', 'language'],
  ])('rejects %s, naming %s', (raw, path) => {
    const error = expectErr(parseJobMetadata(crewJobMetadataSchema, raw));
    expect(error).toContain(`${path}:`);
  });
});

describe('parseJobMetadata with memberJobMetadataSchema', () => {
  it('accepts empty metadata', () => {
    expect(expectOk(parseJobMetadata(memberJobMetadataSchema, undefined))).toEqual({});
  });

  it('reads language and orchestrator', () => {
    expect(
      expectOk(parseJobMetadata(memberJobMetadataSchema, '{"language":"de","orchestrator":"agent-orch"}')),
    ).toEqual({ language: 'de', orchestrator: 'agent-orch' });
  });

  it('rejects a non-string orchestrator', () => {
    expect(expectErr(parseJobMetadata(memberJobMetadataSchema, '{"orchestrator":5}'))).toContain(
      'orchestrator',
    );
  });
});

describe('toMs', () => {
  it('normalizes server timestamps given in s, ms and ns to ms', () => {
    const ms = 1_795_252_567_118;
    expect(toMs(Math.floor(ms / 1000))).toBe(Math.floor(ms / 1000) * 1000);
    expect(toMs(ms)).toBe(ms);
    expect(toMs(BigInt(ms) * 1_000_000n)).toBeCloseTo(ms, 0);
    expect(toMs(undefined)).toBe(0);
  });
});

describe('memberMetadataOf', () => {
  it('passes the room settings a member needs, and only those', () => {
    const crew = crewJobMetadataSchema.parse({ language: 'en-GB', watch: ['ann'] });
    expect(JSON.parse(memberMetadataOf(crew))).toEqual({ language: 'en-GB', watch: ['ann'] });
    expect(JSON.parse(memberMetadataOf(crewJobMetadataSchema.parse({}), 'agent-1'))).toEqual({
      orchestrator: 'agent-1',
    });
    expect(expectOk(parseJobMetadata(memberJobMetadataSchema, memberMetadataOf(crew, 'o')))).toEqual({
      language: 'en-GB',
      watch: ['ann'],
      orchestrator: 'o',
    });
  });
});
