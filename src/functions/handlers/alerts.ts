import type { AlertViews } from '../../app/alertViews.js';
import { handle, json } from '../http.js';

/** GET /api/alerts: the triggered alerts, the longest-running first. */
export const listAlerts = (alerts: AlertViews) => handle(async () => json({ alerts: await alerts.list() }));
