// PUT body / project_settings row → ProjectSettings: the per-project privacy switches and retention periods.
import { z } from 'zod';
import type { Queryable } from '../db';
import { loadSettingsQuery, saveSettingsQuery } from './settings-sql';

export const RETENTION_KINDS = ['events', 'analytics', 'conversations', 'steps', 'sessions', 'escalations', 'tasks', 'profiles', 'goalEvents'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** project_settings column of a retention kind: 'goalEvents' → 'retention_goal_events_days'. */
const retentionColumn = (kind: RetentionKind) => `retention_${kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_days`;

export interface ProjectSettings {
  readonly projectId: string;
  /** Off: analytics events are acknowledged and dropped (Endpoint "Collect Analytics"). */
  readonly collectAnalytics: boolean;
  /** Off: no contact profile rows and no per-contact task aggregates (Endpoint "Contact Profiles"). */
  readonly contactProfiles: boolean;
  /** On: inputText/inputData, message text/data and the IP are stored as '****' (Endpoint "Mask Sensitive Analytics"). */
  readonly maskSensitive: boolean;
  /** On: the IP is stored as '****' (Endpoint "Mask IP Address"). */
  readonly maskIp: boolean;
  /** Days to keep each kind of data; null keeps it forever. */
  readonly retention: Readonly<Record<RetentionKind, number | null>>;
  readonly updatedAt: string | null;
}

const days = z.int().min(1).max(36_500).nullable();

/** PUT replaces the settings: an omitted switch takes its default, an omitted retention period means "keep forever". */
export const SettingsBodySchema = z.strictObject({
  collectAnalytics: z.boolean().default(true),
  contactProfiles: z.boolean().default(true),
  maskSensitive: z.boolean().default(false),
  maskIp: z.boolean().default(false),
  retention: z
    .strictObject(Object.fromEntries(RETENTION_KINDS.map((k) => [k, days.default(null)])) as Record<RetentionKind, z.ZodDefault<typeof days>>)
    .default(Object.fromEntries(RETENTION_KINDS.map((k) => [k, null])) as Record<RetentionKind, null>),
});

export type SettingsBody = z.infer<typeof SettingsBodySchema>;

export function defaultSettings(projectId: string): ProjectSettings {
  return {
    projectId,
    collectAnalytics: true,
    contactProfiles: true,
    maskSensitive: false,
    maskIp: false,
    retention: Object.fromEntries(RETENTION_KINDS.map((k) => [k, null])) as Record<RetentionKind, null>,
    updatedAt: null,
  };
}

/** A project_settings row (as returned by the driver or by row_to_json) → ProjectSettings. */
export function settingsFromRow(row: Record<string, unknown>): ProjectSettings {
  const retention = Object.fromEntries(
    RETENTION_KINDS.map((k) => {
      const v = row[retentionColumn(k)];
      return [k, v === null || v === undefined ? null : Number(v)];
    }),
  ) as Record<RetentionKind, number | null>;
  const updatedAt = row.updated_at;
  return {
    projectId: String(row.project_id),
    collectAnalytics: row.collect_analytics === true,
    contactProfiles: row.contact_profiles === true,
    maskSensitive: row.mask_sensitive === true,
    maskIp: row.mask_ip === true,
    retention,
    updatedAt: updatedAt === null || updatedAt === undefined ? null : new Date(String(updatedAt)).toISOString(),
  };
}

export async function loadSettings(db: Queryable, projectId: string): Promise<ProjectSettings> {
  const r = await db.query<Record<string, unknown>>(loadSettingsQuery(projectId));
  const row = r.rows[0];
  return row === undefined ? defaultSettings(projectId) : settingsFromRow(row);
}

export async function saveSettings(db: Queryable, projectId: string, body: SettingsBody): Promise<ProjectSettings> {
  const r = await db.query<Record<string, unknown>>(
    saveSettingsQuery([projectId, body.collectAnalytics, body.contactProfiles, body.maskSensitive, body.maskIp, ...RETENTION_KINDS.map((k) => body.retention[k])]),
  );
  return settingsFromRow(r.rows[0] as Record<string, unknown>);
}
