// Unit tests of the dashboard's pure logic; run by LogicTests.cs with `node --test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  credentialKind, formatDuration, formatBytes, formatNumber, formatTime, formatPercent, parseRoute, routeHash,
  filtersFromParams, paramsFromFilters, historyQuery, pageInfo, emptyTaskView, reduceTaskEvent, EVENTS_KEPT,
  SERIES_LENGTH, visibleRange, sparkPoints, pipelineLayout, findingsByComponent, tone, taskTimes, curlForStatus,
} from '../../../src/PipelineHost.Server/Dashboard/ui/logic.js';

test('credentials are told apart by their prefix', () => {
  assert.equal(credentialKind('tk_abc'), 'task');
  assert.equal(credentialKind(' pk_abc '), 'public');
  assert.equal(credentialKind('ph_3c9'), 'api');
  assert.equal(credentialKind(''), 'none');
  assert.equal(credentialKind(null), 'none');
});

test('durations, sizes, numbers and times read as a person writes them', () => {
  assert.equal(formatDuration(0.25), '250 ms');
  assert.equal(formatDuration(12.34), '12.3 s');
  assert.equal(formatDuration(245), '4 min 05 s');
  assert.equal(formatDuration(7620), '2 h 07 min');
  assert.equal(formatDuration(3 * 86400 + 4 * 3600), '3 d 4 h');
  assert.equal(formatDuration(null), '–');
  assert.equal(formatDuration(-1), '–');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(3 * 1024 * 1024), '3.0 MiB');
  assert.equal(formatNumber(1234567), '1,234,567');
  assert.equal(formatNumber(undefined), '–');
  assert.equal(formatTime(1735689600.5), '2025-01-01 00:00:00');
  assert.equal(formatTime(0), '–');
  assert.equal(formatPercent(0.125), '12.5 %');
});

test('routes round-trip through the hash', () => {
  assert.deepEqual(parseRoute(''), { page: 'overview', params: {} });
  assert.deepEqual(parseRoute('#/task/tk_1'), { page: 'task', token: 'tk_1', params: {} });
  assert.deepEqual(parseRoute('#/history?state=RUNNING&name=a%20b'), { page: 'history', params: { state: 'RUNNING', name: 'a b' } });
  assert.equal(parseRoute('#/nowhere').page, 'overview');
  assert.equal(routeHash('history', { state: 'RUNNING', name: '' }), '#/history?state=RUNNING');
  assert.equal(routeHash('task', {}, 'tk_1'), '#/task/tk_1');
  assert.equal(routeHash('overview'), '#/');
});

test('filters keep only known, non-default values in the URL', () => {
  const filters = filtersFromParams({ state: 'CANCELLED', name: ' echo ', bogus: 'x', page: '0', sort: 'created' });
  assert.deepEqual(filters, { sort: 'created', order: 'desc', page: '1', state: 'CANCELLED', name: 'echo' });
  assert.deepEqual(paramsFromFilters(filters), { state: 'CANCELLED', name: 'echo' });
  assert.deepEqual(paramsFromFilters({ ...filters, page: '3', order: 'asc' }), { state: 'CANCELLED', name: 'echo', order: 'asc', page: '3' });
});

test('the history query pages, filters and reads local times as UTC', () => {
  const q = new URLSearchParams(historyQuery({ state: 'RUNNING', from: '2025-01-01T10:00', page: '3', sort: 'name' }, 50));
  assert.equal(q.get('limit'), '50');
  assert.equal(q.get('offset'), '100');
  assert.equal(q.get('state'), 'RUNNING');
  assert.equal(q.get('from'), '2025-01-01T10:00:00Z');
  assert.equal(q.get('sort'), 'name');
  assert.equal(q.get('order'), null);
  assert.deepEqual(pageInfo(0, 1, 50), { page: 1, pages: 1, from: 0, to: 0 });
  assert.deepEqual(pageInfo(120, 3, 50), { page: 3, pages: 3, from: 101, to: 120 });
  assert.deepEqual(pageInfo(120, 9, 50), { page: 3, pages: 3, from: 101, to: 120 });
});

test('status events extend the timeline only on a new state, and feed the charts', () => {
  let view = emptyTaskView();
  const status = (state, cpu) => ({ event: 'apaevt_status_update', body: { state, metrics: { cpu_percent: cpu, cpu_memory_mb: 10 }, tokens: { total: 1 } } });
  view = reduceTaskEvent(view, status(1, 0), 100);
  view = reduceTaskEvent(view, status(3, 5), 101);
  view = reduceTaskEvent(view, status(3, 7), 102);
  view = reduceTaskEvent(view, { event: 'apaevt_status_error', body: { message: 'boom' } }, 103);
  assert.deepEqual(view.timeline, [{ state: 1, at: 100 }, { state: 3, at: 101 }]);
  assert.deepEqual(view.series.cpu, [0, 5, 7]);
  assert.equal(view.events.length, 4);
  assert.equal(view.events[3].text, 'boom');
  assert.equal(view.status.state, 3);
});

test('the events tail and the chart series are bounded', () => {
  let view = emptyTaskView();
  for (let i = 0; i < EVENTS_KEPT + 25; i++) {
    view = reduceTaskEvent(view, { event: 'apaevt_status_update', body: { state: 3, metrics: { cpu_percent: i } } }, i);
  }
  assert.equal(view.events.length, EVENTS_KEPT);
  assert.equal(view.eventsDropped, 25);
  assert.equal(view.series.cpu.length, SERIES_LENGTH);
  assert.equal(view.series.cpu.at(-1), EVENTS_KEPT + 24);
});

test('a virtualised list renders only what the viewport shows, plus overscan', () => {
  assert.deepEqual(visibleRange(100000, 20, 20000, 300, 10), { first: 990, last: 1025, top: 19800, height: 2000000 });
  assert.deepEqual(visibleRange(5, 20, 0, 300, 10), { first: 0, last: 5, top: 0, height: 100 });
});

test('sparklines scale to the largest value (at least the floor)', () => {
  assert.equal(sparkPoints([], 100, 50), '');
  assert.equal(sparkPoints([0, 50, 100], 100, 50, 100), '0.0,50.0 50.0,25.0 100.0,0.0');
  assert.equal(sparkPoints([1], 100, 50, 2), '0.0,25.0');
});

test('the pipeline graph puts each component right of what feeds it', () => {
  const layout = pipelineLayout({
    components: [
      { id: 'src', provider: 'webhook' },
      { id: 'parse', provider: 'parse', input: [{ lane: 'tags', from: 'src' }] },
      { id: 'out', provider: 'response', input: [{ lane: 'text', from: 'parse' }, { lane: 'text', from: 'src' }] },
    ],
  });
  assert.deepEqual(layout.nodes.map((n) => [n.id, n.layer, n.row]), [['src', 0, 0], ['parse', 1, 0], ['out', 2, 0]]);
  assert.equal(layout.edges.length, 3);
});

test('validation findings are grouped by the component they concern', () => {
  const groups = findingsByComponent({ errors: [{ id: 'a', message: 'bad' }, { message: 'no source' }], warnings: [{ id: 'a', message: 'meh' }] });
  assert.deepEqual(groups, { a: { errors: ['bad'], warnings: ['meh'] }, '': { errors: ['no source'], warnings: [] } });
});

test('tones, task times and the status curl', () => {
  assert.equal(tone({ statusName: 'FAILED', state: 6 }), 'failed');
  assert.equal(tone({ statusName: 'CANCELED', state: 6 }), 'stopped');
  assert.equal(tone({ statusName: 'IN_PROGRESS', state: 3 }), 'running');
  assert.equal(tone({ statusName: 'COMPLETED', state: 5 }), 'done');
  const times = taskTimes({ createdAt: '2025-01-01T00:00:00.000Z', startedAt: '2025-01-01T00:00:02.000Z', completedAt: '2025-01-01T00:01:02.000Z' }, 0);
  assert.deepEqual(times, { queueWait: 2, runTime: 60 });
  assert.deepEqual(taskTimes({ createdAt: '2025-01-01T00:00:00.000Z', startedAt: null }, 0), { queueWait: null, runTime: null });
  assert.equal(curlForStatus('http://127.0.0.1:5565', 'tk_1'), "curl -s 'http://127.0.0.1:5565/task?token=tk_1'");
});
