/**
 * The console's HTTP API, shared by the server and the page (browser-safe: zod only).
 * Every error is JSON `{ error: { code, message } }` with a matching HTTP status.
 */
import { z } from 'zod';

export const ROOM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const room = z.string().regex(ROOM_NAME, 'letters, digits, dot, dash or underscore, at most 64');

export const tokenRequestSchema = z.object({
  room,
  name: z.string().trim().min(1).max(64),
  operator: z.boolean().default(false),
  passcode: z.string().max(256).optional(),
});
export type TokenRequest = z.input<typeof tokenRequestSchema>;

export interface TokenResponse {
  url: string;
  room: string;
  identity: string;
  name: string;
  token: string;
  operator: boolean;
  expiresAt: number;
  /** Operator tokens only: the bearer credential of the operator-only endpoints. */
  session?: string;
}

export interface ConsoleConfig {
  livekitUrl: string;
  defaultRoom: string;
  /** Whether operator tokens can be had at all (a passcode is configured). */
  operatorSignIn: boolean;
}

export const crewRoomSchema = z.object({ room });
export const removeAgentSchema = z.object({ room, identity: z.string().min(1).max(256) });

export interface CrewAgent {
  identity: string;
  agentName: string;
  /** joining, joined, active, disconnected: the SFU's view of the participant. */
  state: string;
  /** `lk.agent.state`, when the agent sets it. */
  agentState?: string;
  /** Present and connected with media (state active). */
  healthy: boolean;
  tracks: number;
}

export interface CrewStatus {
  room: string;
  agents: CrewAgent[];
  /** Whether the room has a crew dispatch (the orchestrator brings the members). */
  dispatched: boolean;
}

export type ApiErrorCode =
  | 'bad_request'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'bad_passcode'
  | 'operator_disabled'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'upstream'
  | 'internal';

export interface ApiError {
  error: { code: ApiErrorCode; message: string };
}
