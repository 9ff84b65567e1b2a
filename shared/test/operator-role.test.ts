import { describe, expect, it } from 'vitest';
import { ATTR_ROLE, ROLE_OPERATOR } from '../src/crew.js';
import { SERVER_PARTICIPANT_KIND } from '../src/livekit-conventions.js';
import { operatorByServer, type ServerParticipant } from '../src/operator-role.js';

const person = (p: Partial<ServerParticipant>): ServerParticipant => ({
  identity: 'ana',
  kind: SERVER_PARTICIPANT_KIND.standard,
  attributes: {},
  ...p,
});
const claim = { [ATTR_ROLE]: ROLE_OPERATOR };

describe('operatorByServer', () => {
  it('is an operator: the role attribute on a person who cannot write their own attributes', () => {
    expect(operatorByServer(person({ attributes: claim, permission: { canUpdateMetadata: false } }))).toBe(
      true,
    );
  });

  it('is not an operator where the participant could have set the attribute itself', () => {
    expect(operatorByServer(person({ attributes: claim, permission: { canUpdateMetadata: true } }))).toBe(
      false,
    );
  });

  it('is not an operator when the server reports no permission at all (fails closed)', () => {
    expect(operatorByServer(person({ attributes: claim }))).toBe(false);
  });

  it('is not an operator without the attribute, or with another value', () => {
    expect(operatorByServer(person({ permission: { canUpdateMetadata: false } }))).toBe(false);
    expect(
      operatorByServer(
        person({ attributes: { [ATTR_ROLE]: 'Operator' }, permission: { canUpdateMetadata: false } }),
      ),
    ).toBe(false);
    expect(
      operatorByServer(
        person({ attributes: { [ATTR_ROLE]: ' operator' }, permission: { canUpdateMetadata: false } }),
      ),
    ).toBe(false);
  });

  it('never makes an agent an operator, whatever it carries', () => {
    expect(
      operatorByServer(
        person({
          kind: SERVER_PARTICIPANT_KIND.agent,
          attributes: claim,
          permission: { canUpdateMetadata: false },
        }),
      ),
    ).toBe(false);
  });

  it('ignores look-alike metadata, names and identities', () => {
    const p = person({
      identity: 'operator',
      attributes: { role: ROLE_OPERATOR, 'crew.Role': ROLE_OPERATOR },
    });
    expect(operatorByServer({ ...p, permission: { canUpdateMetadata: false } })).toBe(false);
  });
});
