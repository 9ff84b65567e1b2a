/**
 * Granting and revoking the operator role during a call, from the server side (the console server
 * or the CLI), through LiveKit's RoomService. See crew-authority.ts for how the role is recognised.
 */
import type { RoomServiceClient } from 'livekit-server-sdk';
import { ATTR_ROLE, ROLE_OPERATOR } from './crew.js';

/** `ParticipantInfo.Kind.AGENT` in LiveKit's protocol (the SDK does not export the enum). */
const KIND_AGENT = 4;

/**
 * Makes a participant an operator: first withdraws its right to update its own metadata (an
 * attribute proves the role only where the client cannot write it), then sets the attribute.
 * LiveKit replaces permissions whole, so the participant's other permissions are kept as they are.
 */
export async function grantOperator(rooms: RoomServiceClient, room: string, identity: string): Promise<void> {
  const info = await rooms.getParticipant(room, identity);
  if (info.kind === KIND_AGENT) {
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
