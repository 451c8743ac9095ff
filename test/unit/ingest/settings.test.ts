import { defaultSettings, settingsFromRow, SettingsBodySchema } from '../../../src/ingest/settings';

describe('project settings', () => {
  it('an empty PUT body means the defaults', () => {
    expect(SettingsBodySchema.parse({})).toEqual({
      collectAnalytics: true,
      contactProfiles: true,
      maskSensitive: false,
      maskIp: false,
      retention: { events: null, analytics: null, conversations: null, steps: null, sessions: null, escalations: null, tasks: null, profiles: null, goalEvents: null },
    });
  });

  it.each([
    [{ retention: { analytics: 0 } }, 'retention.analytics'],
    [{ retention: { analytics: 1.5 } }, 'retention.analytics'],
    [{ retention: { analytics: 36501 } }, 'retention.analytics'],
    [{ retention: { logs: 3 } }, 'retention'],
    [{ maskIp: 'true' }, 'maskIp'],
    [{ collect_analytics: false }, ''],
  ])('%j is rejected at %s', (body, path) => {
    const r = SettingsBodySchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual([path]);
  });

  it('maps a project_settings row', () => {
    expect(
      settingsFromRow({
        project_id: 'p',
        collect_analytics: false,
        contact_profiles: true,
        mask_sensitive: true,
        mask_ip: false,
        retention_events_days: 7,
        retention_profiles_days: null,
        updated_at: '2025-03-01 09:00:00+00',
      }),
    ).toEqual({
      ...defaultSettings('p'),
      collectAnalytics: false,
      maskSensitive: true,
      retention: { ...defaultSettings('p').retention, events: 7 },
      updatedAt: '2025-03-01T09:00:00.000Z',
    });
  });
});
