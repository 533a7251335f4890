/** Metrics a scraper pulls (`GET /api/metrics`): Prometheus text exposition. */
export interface MetricsExposition {
  /** The response's content type, e.g. `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
  /** The current metrics as text. */
  expose(): Promise<string>;
}
