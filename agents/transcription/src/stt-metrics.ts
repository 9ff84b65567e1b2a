/**
 * Transcriber metrics, per provider: end of speech → final transcript latency (histogram),
 * provider errors, fallbacks, audio seconds sent. Reported as pino fields and in crew.state.
 */
const BUCKETS_MS = [100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, Number.POSITIVE_INFINITY];

export interface ProviderMetrics {
  /** Count of finals per latency bucket, keyed by the bucket's upper bound ("+Inf" for the last). */
  latencyMs: Record<string, number>;
  latencySumMs: number;
  finals: number;
  errors: number;
  audioSeconds: number;
}

export class SttMetrics {
  readonly #providers = new Map<string, ProviderMetrics>();
  fallbacks = 0;

  #of(provider: string): ProviderMetrics {
    let m = this.#providers.get(provider);
    if (!m) {
      m = { latencyMs: {}, latencySumMs: 0, finals: 0, errors: 0, audioSeconds: 0 };
      this.#providers.set(provider, m);
    }
    return m;
  }

  final(provider: string, latencyMs: number): void {
    const m = this.#of(provider);
    const bound = BUCKETS_MS.find((b) => latencyMs <= b) ?? Number.POSITIVE_INFINITY;
    const key = Number.isFinite(bound) ? String(bound) : '+Inf';
    m.latencyMs[key] = (m.latencyMs[key] ?? 0) + 1;
    m.latencySumMs += latencyMs;
    m.finals++;
  }

  error(provider: string): void {
    this.#of(provider).errors++;
  }

  fallback(): void {
    this.fallbacks++;
  }

  audio(provider: string, seconds: number): void {
    this.#of(provider).audioSeconds += seconds;
  }

  snapshot(): { fallbacks: number; providers: Record<string, ProviderMetrics> } {
    return { fallbacks: this.fallbacks, providers: structuredClone(Object.fromEntries(this.#providers)) };
  }
}
