// The OData URLs of the landing page's figures: pure functions of an origin, a period and a project. Loaded by
// the page (window.TaskfeedUrls) and by the tests (module.exports).
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.TaskfeedUrls = factory();
})(this, function () {
  'use strict';

  /** Percent-encodes a query value but keeps the characters OData recipes are read by ($ , / : @ ' ( )). */
  function encodeValue(value) {
    return encodeURIComponent(value).replace(/%(24|2C|2F|3A|40)/gi, (m) => decodeURIComponent(m));
  }

  function odataUrl(origin, entitySet, params) {
    const query = params.map(([name, value]) => `${name}=${encodeValue(value)}`).join('&');
    return `${origin}/odata/${entitySet}${query ? `?${query}` : ''}`;
  }

  const quote = (text) => `'${String(text).replace(/'/g, "''")}'`;

  /** 2026-11-24T23:00:00Z: an instant as an OData DateTimeOffset literal. */
  const instant = (date) => date.toISOString().replace(/\.000Z$/, 'Z');

  /**
   * The viewer's calendar day of an instant property: its UTC value shifted by the local offset at `at`
   * (getTimezoneOffset() minutes west of UTC, as Date reports it).
   */
  function localDayExpression(property, at) {
    const offset = -at.getTimezoneOffset();
    if (offset === 0) return `date(${property})`;
    const abs = Math.abs(offset);
    const duration = `PT${Math.floor(abs / 60) ? `${Math.floor(abs / 60)}H` : ''}${abs % 60 ? `${abs % 60}M` : ''}`;
    return `date(${property} ${offset > 0 ? 'add' : 'sub'} duration'${duration}')`;
  }

  function rangeFilter(property, range, project) {
    const parts = [`${property} ge ${instant(range.from)}`, `${property} lt ${instant(range.to)}`];
    if (project) parts.push(`projectId eq ${quote(project)}`);
    return parts.join(' and ');
  }

  /** The OData URL of every figure for one period and project. */
  function recipes(origin, range, project) {
    const tasks = rangeFilter('timestamp', range, project);
    const sessions = rangeFilter('startedAt', range, project);
    const handovers = rangeFilter('timestamp', range, project);
    // Session ids are unique within a project only, so distinct pairs are counted per project.
    return {
      tasksReached: odataUrl(origin, 'CompletedTasks', [['$apply', `filter(${tasks})/groupby((projectId,sessionId,task))/aggregate($count as tasksReached)`]]),
      sessions: odataUrl(origin, 'Sessions', [['$apply', `filter(${sessions})/aggregate($count as sessions)`]]),
      contacts: odataUrl(origin, 'Sessions', [['$apply', `filter(${sessions} and userId ne null)/groupby((projectId,userId))/aggregate($count as contacts)`]]),
      handovers: odataUrl(origin, 'LiveAgentEscalations', [['$apply', `filter(${handovers})/aggregate($count as handovers)`]]),
      topTasks: odataUrl(origin, 'CompletedTasks', [
        ['$apply', `filter(${tasks})/groupby((projectId,sessionId,task))/groupby((task),aggregate($count as sessions))/orderby(sessions desc,task)/top(10)`],
      ]),
      perDay: odataUrl(origin, 'CompletedTasks', [
        ['$apply', `filter(${tasks})/compute(${localDayExpression('timestamp', range.from)} as day)/groupby((day),aggregate($count as tasks))/orderby(day)`],
      ]),
    };
  }

  function latestUrl(origin, project) {
    const params = [];
    if (project) params.push(['$filter', `projectId eq ${quote(project)}`]);
    params.push(['$orderby', 'timestamp desc'], ['$top', '10'], ['$select', 'id,timestamp,task,contactId,sessionId,channel,projectId']);
    return odataUrl(origin, 'CompletedTasks', params);
  }

  const projectsUrl = (origin) => odataUrl(origin, 'Sessions', [['$apply', 'groupby((projectId))']]);

  return { encodeValue, odataUrl, quote, instant, localDayExpression, rangeFilter, recipes, latestUrl, projectsUrl };
});
