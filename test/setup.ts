// Every test stays on 127.0.0.1: SDKs that would reach out on their own are told not to (DESIGN.md §4).
process.env.OTEL_NODE_RESOURCE_DETECTORS = 'env,host';
process.env.APPLICATION_INSIGHTS_NO_STATSBEAT = '1';
process.env.DD_REMOTE_CONFIGURATION_ENABLED = 'false';
process.env.DD_TRACE_TELEMETRY_ENABLED = 'false';
