// Loaded first by the CLI: the SDKs read their settings from the process environment themselves,
// so the `DD_*`, `OTEL_*` and Application Insights values of local.settings.json are exported to
// it, as `func start` exports every value. Variables already set win.
import { readLocalSettings } from './localSettings.js';

const SDK_SETTING = /^(DD_|OTEL_|APPLICATIONINSIGHTS_|APPLICATION_INSIGHTS_)/;

try {
  for (const [name, value] of Object.entries(readLocalSettings(process.cwd()))) {
    if (SDK_SETTING.test(name) && process.env[name] === undefined) process.env[name] = value;
  }
} catch {
  // A malformed local.settings.json is reported by the command that reads it, with its path.
}
