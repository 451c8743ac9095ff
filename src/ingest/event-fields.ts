// The zod field schemas every event type shares (events.ts, goal-events.ts): ids, names, project, timestamp, session context.
import { z } from 'zod';
import { parseTimestamp } from './time';

/** Text in every field: any Unicode; NUL and lone surrogates are rejected earlier (see validate.ts). */
export const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
export const identifier = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');
export const name = text(1024);

// Project ids become part of composite keys ('project:session'), so they may not contain ':'.
export const projectId = z
  .string()
  .regex(/^[A-Za-z0-9._~-]{1,128}$/, 'must be 1–128 characters of A–Z, a–z, 0–9, ".", "_", "~" or "-"');

export const timestamp = z.string().superRefine((value, ctx) => {
  const parsed = parseTimestamp(value);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

/** Where and how the conversation happened; every session event may carry it and the session row is folded from it. */
export const sessionContext = {
  organisationId: identifier.nullish(),
  projectName: name.nullish(),
  channel: name.nullish(),
  userType: z.enum(['external', 'admin']).nullish(),
  localeReferenceId: identifier.nullish(),
  localeName: name.nullish(),
  endpointReferenceId: identifier.nullish(),
  endpointName: name.nullish(),
  endpointUrlToken: identifier.nullish(),
  snapshotId: identifier.nullish(),
  snapshotName: name.nullish(),
};
