// public/urls.js: the landing page's OData URLs, as the page builds them.
import { createRequire } from 'node:module';
import path from 'node:path';

interface Range {
  readonly from: Date;
  readonly to: Date;
}
interface Urls {
  encodeValue(value: string): string;
  instant(date: Date): string;
  quote(text: string): string;
  localDayExpression(property: string, at: { getTimezoneOffset(): number }): string;
  rangeFilter(property: string, range: Range, project: string): string;
  recipes(origin: string, range: Range, project: string): Record<string, string>;
  latestUrl(origin: string, project: string): string;
  projectsUrl(origin: string): string;
}

const urls = createRequire(__filename)(path.join(__dirname, '..', '..', '..', 'public', 'urls.js')) as Urls;
const ORIGIN = 'http://h';
const range = { from: new Date('2026-11-23T23:00:00Z'), to: new Date('2026-11-24T23:00:00Z') };
/** A Date stand-in at a fixed offset (minutes west of UTC, as getTimezoneOffset reports). */
const at = (minutesWest: number) => ({ getTimezoneOffset: () => minutesWest });

describe('localDayExpression', () => {
  it.each([
    [0, 'date(timestamp)'],
    [-60, "date(timestamp add duration'PT1H')"],
    [-330, "date(timestamp add duration'PT5H30M')"],
    [300, "date(timestamp sub duration'PT5H')"],
    [-45, "date(timestamp add duration'PT45M')"],
  ])('UTC offset %i minutes west → %s', (west, expected) => {
    expect(urls.localDayExpression('timestamp', at(west))).toBe(expected);
  });
});

describe('rangeFilter, quote, instant, encodeValue', () => {
  it.each([
    ['', 'timestamp ge 2026-11-23T23:00:00Z and timestamp lt 2026-11-24T23:00:00Z'],
    ['shop', "timestamp ge 2026-11-23T23:00:00Z and timestamp lt 2026-11-24T23:00:00Z and projectId eq 'shop'"],
    ["o'brien", "timestamp ge 2026-11-23T23:00:00Z and timestamp lt 2026-11-24T23:00:00Z and projectId eq 'o''brien'"],
  ])('project %j', (project, expected) => {
    expect(urls.rangeFilter('timestamp', range, project)).toBe(expected);
  });

  it.each([
    [new Date('2026-01-02T03:04:05Z'), '2026-01-02T03:04:05Z'],
    [new Date('2026-01-02T03:04:05.250Z'), '2026-01-02T03:04:05.250Z'],
  ])('instant(%s)', (date, expected) => {
    expect(urls.instant(date)).toBe(expected);
  });

  it.each([
    ['groupby((task),aggregate($count as n))', 'groupby((task),aggregate($count%20as%20n))'],
    ["a eq 'x&y'", "a%20eq%20'x%26y'"],
    ['2026-01-02T03:04:05Z/@p', '2026-01-02T03:04:05Z/@p'],
  ])('encodeValue(%j) keeps $ , / : @ readable', (value, expected) => {
    expect(urls.encodeValue(value)).toBe(expected);
  });
});

describe('recipes, latestUrl, projectsUrl', () => {
  const filter = "filter(timestamp ge 2026-11-23T23:00:00Z and timestamp lt 2026-11-24T23:00:00Z and projectId eq 'shop')";
  const sessions = "filter(startedAt ge 2026-11-23T23:00:00Z and startedAt lt 2026-11-24T23:00:00Z and projectId eq 'shop'";
  const recipes = urls.recipes(ORIGIN, range, 'shop');
  it.each([
    ['tasksReached', 'CompletedTasks', `${filter}/groupby((projectId,sessionId,task))/aggregate($count as tasksReached)`],
    ['sessions', 'Sessions', `${sessions})/aggregate($count as sessions)`],
    ['contacts', 'Sessions', `${sessions} and userId ne null)/groupby((projectId,userId))/aggregate($count as contacts)`],
    ['handovers', 'LiveAgentEscalations', `${filter}/aggregate($count as handovers)`],
    ['topTasks', 'CompletedTasks', `${filter}/groupby((projectId,sessionId,task))/groupby((task),aggregate($count as sessions))/orderby(sessions desc,task)/top(10)`],
  ])('%s reads %s with $apply=%s', (name, set, apply) => {
    const url = new URL(recipes[name] as string);
    expect(`${url.origin}${url.pathname}`).toBe(`${ORIGIN}/odata/${set}`);
    expect(url.searchParams.get('$apply')).toBe(apply);
  });

  it('perDay groups by the local day', () => {
    expect(new URL(recipes.perDay as string).searchParams.get('$apply')).toMatch(/^filter\(.*\)\/compute\(date\(timestamp( (add|sub) duration'PT[0-9HM]+')?\) as day\)\/groupby\(\(day\),aggregate\(\$count as tasks\)\)\/orderby\(day\)$/);
  });

  it.each([
    ['', { $orderby: 'timestamp desc', $top: '10', $select: 'id,timestamp,task,contactId,sessionId,channel,projectId' }],
    ['shop', { $filter: "projectId eq 'shop'", $orderby: 'timestamp desc', $top: '10', $select: 'id,timestamp,task,contactId,sessionId,channel,projectId' }],
  ])('latestUrl(%j)', (project, expected) => {
    expect(Object.fromEntries(new URL(urls.latestUrl(ORIGIN, project)).searchParams)).toEqual(expected);
  });

  it('projectsUrl', () => {
    expect(urls.projectsUrl(ORIGIN)).toBe(`${ORIGIN}/odata/Sessions?$apply=groupby((projectId))`);
  });
});
