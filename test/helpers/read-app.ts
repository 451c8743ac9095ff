// test file → an app over the read-side fixture for the whole file, and a GET helper that sends the read key.
import request from 'supertest';
import { loadReadFixture } from './fixtures';
import { createTestApp, READ_KEY, type TestApp } from './test-app';

export const SERVICE = 'http://taskfeed.test/odata';

export interface ReadApp {
  /** The app of the running file (available inside tests and hooks). */
  readonly t: TestApp;
  /** GET with the all-projects read key; spaces in the URL are sent as %20. */
  get(url: string): request.Test;
}

/** Registers beforeAll/afterAll for the calling test file. */
export function useReadApp(): ReadApp {
  let current: TestApp | undefined;
  beforeAll(async () => {
    current = await createTestApp();
    await loadReadFixture(current.database.db);
  });
  afterAll(() => current?.close());
  const app: ReadApp = {
    get t() {
      if (current === undefined) throw new Error('useReadApp: the app exists only inside tests and hooks');
      return current;
    },
    get: (url) => request(app.t.app).get(url.replace(/ /g, '%20')).set('x-api-key', READ_KEY),
  };
  return app;
}
