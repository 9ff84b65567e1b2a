/**
 * Granting and revoking the operator role during a call, from the server side (the console server
 * or the CLI), through LiveKit's RoomService. See crew-authority.ts for how the role is recognised.
 */
import type { RoomServiceClient } from 'livekit-server-sdk';
import { ATTR_ROLE, ROLE_OPERATOR } from './crew.js';
import { SERVER_PARTICIPANT_KIND } from './livekit-conventions.js';

/** What the LiveKit server reports about a participant (`ParticipantInfo`, the parts that matter). */
export interface ServerParticipant {
  identity: string;
  kind?: number;
  attributes: Record<string, string>;
  /** Absent when the server reports no permission: treated as "may update its own metadata". */
  permission?: { canUpdateMetadata: boolean };
}

/**
 * The server's word on a participant: an operator is a person with the role attribute who cannot
 * write its own attributes (where it can, the attribute proves nothing).
 */
export function operatorByServer(info: ServerParticipant): boolean {
  return (
    info.kind !== SERVER_PARTICIPANT_KIND.agent &&
    info.attributes[ATTR_ROLE] === ROLE_OPERATOR &&
    info.permission?.canUpdateMetadata === false
  );
}

/**
 * Makes a participant an operator: first withdraws its right to update its own metadata (an
 * attribute proves the role only where the client cannot write it), then sets the attribute.
 * LiveKit replaces permissions whole, so the participant's other permissions are kept as they are.
 */
export async function grantOperator(rooms: RoomServiceClient, room: string, identity: string): Promise<void> {
  const info = await rooms.getParticipant(room, identity);
  if (info.kind === SERVER_PARTICIPANT_KIND.agent) {
    throw new Error(`${identity} is an agent; only people can be operators`);
  }
  if (info.permission?.canUpdateMetadata !== false) {
    await rooms.updateParticipant(room, identity, {
      permission: { ...info.permission, canUpdateMetadata: false },
    });
  }
  await rooms.updateParticipant(room, identity, { attributes: { [ATTR_ROLE]: ROLE_OPERATOR } });
}

/**
 * Takes the role away: removes the attribute. The right to update its own metadata is not given
 * back, so the participant cannot set the attribute again itself.
 */
export async function revokeOperator(
  rooms: RoomServiceClient,
  room: string,
  identity: string,
): Promise<void> {
  await rooms.updateParticipant(room, identity, { attributes: { [ATTR_ROLE]: '' } });
}
