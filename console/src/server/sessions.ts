/**
 * Operator sessions: what the server hands a page together with an operator token, and what
 * operator-only endpoints require. A session is `<payload>.<hmac>`, signed with a key that lives
 * only in this process (a restart signs everyone out), bound to one room and identity, and short
 * lived like the LiveKit token it came with.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const sessionSchema = z.object({ room: z.string(), identity: z.string(), exp: z.number() });
export type OperatorSession = z.infer<typeof sessionSchema>;

export class SessionSigner {
  readonly #key = randomBytes(32);

  sign(s: OperatorSession): string {
    const body = Buffer.from(JSON.stringify(s)).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The session if the signature is ours and it has not expired; otherwise undefined. */
  verify(value: string, now = Date.now()): OperatorSession | undefined {
    const [body, mac] = value.split('.');
    if (!body || !mac) return undefined;
    const want = Buffer.from(this.#mac(body));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
    try {
      const parsed = sessionSchema.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
      return parsed.success && parsed.data.exp > now ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}

/** Compares a passcode in constant time (over digests, so lengths leak nothing either). */
export function passcodeMatches(expected: string, given: string): boolean {
  const a = createHmac('sha256', 'roomcrew-passcode').update(expected).digest();
  const b = createHmac('sha256', 'roomcrew-passcode').update(given).digest();
  return timingSafeEqual(a, b);
}
