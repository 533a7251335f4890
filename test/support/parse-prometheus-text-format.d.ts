declare module 'parse-prometheus-text-format' {
  /** Parses Prometheus text exposition; throws on a line that is not valid. */
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
