import {
  type CrewEvent,
  type CrewEventType,
  type CrewPayload,
  ENVELOPE_VERSION,
  envelopeSchema,
  isCrewEventType,
  MAX_EVENT_BYTES,
  payloadSchemas,
} from './events.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH, utf8ByteLength } from './limits.js';
import { err, ok, type Result } from './result.js';

export type CrewEventErrorCode =
  | 'too_large'
  | 'not_json'
  | 'too_deep'
  | 'bad_envelope'
  | 'unsupported_version'
  | 'unknown_type'
  | 'bad_payload';

export class CrewEventError extends Error {
  constructor(
    readonly code: CrewEventErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CrewEventError';
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * Parses raw bytes (or text) into a typed crew event; never throws. The cheap checks come first:
 * the size before decoding, the nesting depth before parsing.
 */
export function parseCrewEvent(raw: Uint8Array | string): Result<CrewEvent, CrewEventError> {
  const size = typeof raw === 'string' ? utf8ByteLength(raw) : raw.byteLength;
  if (size > MAX_EVENT_BYTES) {
    return err(
      new CrewEventError(
        'too_large',
        `event is ${size} bytes, over the ${MAX_EVENT_BYTES}-byte limit; send large content as a text or byte stream and refer to it`,
      ),
    );
  }
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : decoder.decode(raw);
  } catch (e) {
    return err(new CrewEventError('not_json', `event is not UTF-8 JSON: ${(e as Error).message}`));
  }
  if (jsonDepthExceeds(text)) {
    return err(
      new CrewEventError('too_deep', `event nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`),
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err(new CrewEventError('not_json', `event is not UTF-8 JSON: ${(e as Error).message}`));
  }
  if (typeof json === 'object' && json !== null && 'v' in json && json.v !== ENVELOPE_VERSION) {
    return err(
      new CrewEventError(
        'unsupported_version',
        `envelope version ${JSON.stringify(json.v)} is not supported on this topic (expected ${ENVELOPE_VERSION})`,
      ),
    );
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    return err(new CrewEventError('bad_envelope', `bad envelope: ${summarize(envelope.error)}`));
  }
  const { type } = envelope.data;
  if (!isCrewEventType(type)) {
    return err(new CrewEventError('unknown_type', `unknown event type "${type}"`));
  }
  const payload = payloadSchemas[type].safeParse(envelope.data.payload);
  if (!payload.success) {
    return err(new CrewEventError('bad_payload', `bad ${type} payload: ${summarize(payload.error)}`));
  }
  return ok({ ...envelope.data, type, payload: payload.data } as CrewEvent);
}

export interface NewEventFields {
  room: string;
  from: string;
  corr?: string;
}

/** Builds a valid event; throws on a bad payload because that is a bug in the sender. */
export function createCrewEvent<T extends CrewEventType>(
  type: T,
  payload: CrewPayload<T>,
  fields: NewEventFields,
): CrewEvent<T> {
  const parsed = payloadSchemas[type].parse(payload);
  return {
    v: ENVELOPE_VERSION,
    id: crypto.randomUUID(),
    type,
    ts: Date.now(),
    room: fields.room,
    from: fields.from,
    ...(fields.corr ? { corr: fields.corr } : {}),
    payload: parsed,
  } as CrewEvent<T>;
}

export function encodeCrewEvent(event: CrewEvent): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(event));
  if (bytes.byteLength > MAX_EVENT_BYTES) {
    throw new CrewEventError(
      'too_large',
      `${event.type} event is ${bytes.byteLength} bytes, over ${MAX_EVENT_BYTES}; move the content to a stream`,
    );
  }
  return bytes;
}

function summarize(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
