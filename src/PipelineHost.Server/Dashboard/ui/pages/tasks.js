import { h, replace } from '../dom.js';
import {
  STATES, filtersFromParams, paramsFromFilters, historyQuery, pageInfo, routeHash, formatTime, formatDuration,
  formatNumber, formatMegabytes, taskTimes, tone,
} from '../logic.js';

const PAGE_SIZE = 50;
const LIVE_REFRESH_MS = 2000;

/**
 * Tasks (live) and History: one table over GET /history, server-side filters, sort and paging, the filters in
 * the URL so a view can be shared. The live list re-reads its page when the overview stream says something
 * changed, at most every two seconds; History reads once.
 */
export function taskListPage(view, session, params, { live }) {
  const page = live ? 'tasks' : 'history';
  const filters = filtersFromParams(params);
  const form = filterForm(filters, (next) => {
    location.hash = routeHash(page, paramsFromFilters({ ...next, page: '1' }));
  });
  const result = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' });
  view.append(
    h('h1', {}, live ? 'Tasks' : 'History'),
    h('p', { class: 'muted' }, live ? 'Running and recent tasks, updated as they change.' : 'Tasks from the durable history (kept for the history retention).'),
    h('section', { class: 'panel', 'aria-label': 'Filters' }, form),
    h('section', { class: 'panel' }, result));

  let stopped = false;
  let last = 0;
  let timer = null;
  const load = async () => {
    last = Date.now();
    try {
      const data = await session.http.json('GET', `/history?${historyQuery(filters, PAGE_SIZE)}`);
      if (!stopped) replace(result, table(data, filters, page));
    } catch (error) {
      if (!stopped) replace(result, h('p', { class: 'error', role: 'alert' }, error.message));
    } finally {
      result.setAttribute('aria-busy', 'false');
    }
  };
  load();
  const unsubscribe = live ? session.onOverview(() => {
    if (timer) return;
    timer = setTimeout(() => { timer = null; load(); }, Math.max(0, LIVE_REFRESH_MS - (Date.now() - last)));
  }) : () => {};
  return () => {
    stopped = true;
    clearTimeout(timer);
    unsubscribe();
  };
}

function field(id, label, control) {
  return h('div', {}, h('label', { for: id }, label), control);
}

function filterForm(filters, submit) {
  const state = h('select', { id: 'f-state', name: 'state' }, h('option', { value: '' }, 'any'),
    STATES.map((s) => h('option', { value: s, selected: filters.state === s }, s)));
  const text = (name, size = 14, type = 'text') => h('input', { id: `f-${name}`, name, type, value: filters[name] ?? '', size });
  const sort = h('select', { id: 'f-sort', name: 'sort' },
    [['created', 'created'], ['name', 'name'], ['state', 'state'], ['ended', 'ended'], ['duration', 'run time']]
      .map(([v, l]) => h('option', { value: v, selected: filters.sort === v }, l)));
  const order = h('select', { id: 'f-order', name: 'order' },
    h('option', { value: 'desc', selected: filters.order === 'desc' }, 'newest / largest first'),
    h('option', { value: 'asc', selected: filters.order === 'asc' }, 'oldest / smallest first'));
  const form = h('form', { class: 'form-row', role: 'search' },
    field('f-state', 'State', state),
    field('f-name', 'Pipeline name', text('name')),
    field('f-projectId', 'Project', text('projectId', 12)),
    field('f-source', 'Source', text('source', 10)),
    field('f-token', 'Token or id prefix', text('token', 12)),
    field('f-from', 'Started from (UTC)', text('from', 16, 'datetime-local')),
    field('f-to', 'Started before (UTC)', text('to', 16, 'datetime-local')),
    field('f-sort', 'Sort by', sort),
    field('f-order', 'Order', order),
    h('div', {}, h('button', { type: 'submit' }, 'Apply')),
    h('div', {}, h('button', { type: 'button', class: 'quiet', onclick: () => submit({}) }, 'Clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(Object.fromEntries(new FormData(form)));
  });
  return form;
}

function table(data, filters, page) {
  const now = Date.now() / 1000;
  const info = pageInfo(data.total, Number(filters.page), PAGE_SIZE);
  if (data.total === 0) return h('p', { class: 'muted' }, 'No task matches these filters.');
  const go = (n) => { location.hash = routeHash(page, paramsFromFilters({ ...filters, page: String(n) })); };
  return [
    h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Tasks' },
      h('thead', {}, h('tr', {},
        h('th', {}, 'Task'), h('th', {}, 'State'), h('th', { class: 'hide-narrow' }, 'Created (UTC)'),
        h('th', { class: 'num hide-narrow' }, 'Queue wait'), h('th', { class: 'num' }, 'Run time'),
        h('th', { class: 'num' }, 'Done'), h('th', { class: 'num' }, 'Failed'),
        h('th', { class: 'num hide-narrow' }, 'CPU'), h('th', { class: 'num hide-narrow' }, 'Memory peak'), h('th', { class: 'num hide-narrow' }, 'Tokens'))),
      h('tbody', {}, data.tasks.map((t) => {
        const times = taskTimes(t, now);
        // A task known only from the history comes without its token (the server keeps only a hash of it): its id
        // names it for the API key's calls.
        const ref = t.token ?? t.id;
        return h('tr', { 'data-token': ref },
          h('td', {}, h('a', { href: routeHash('task', {}, ref) }, t.name), h('div', { class: 'muted mono' }, t.id)),
          h('td', {}, h('span', { class: 'badge', 'data-tone': tone(t) }, t.statusName ?? ''), ' ', h('span', { class: 'muted' }, t.status)),
          h('td', { class: 'hide-narrow' }, formatTime(t.startTime)),
          h('td', { class: 'num hide-narrow' }, formatDuration(times.queueWait)),
          h('td', { class: 'num' }, formatDuration(times.runTime)),
          h('td', { class: 'num' }, formatNumber(t.completedCount)),
          h('td', { class: 'num' }, formatNumber(t.failedCount)),
          h('td', { class: 'num hide-narrow' }, t.metrics ? `${formatNumber(t.metrics.avg_cpu_percent ?? t.metrics.cpu_percent, 1)} %` : '–'),
          h('td', { class: 'num hide-narrow' }, formatMegabytes(t.metrics?.peak_cpu_memory_mb)),
          h('td', { class: 'num hide-narrow' }, formatNumber(t.tokens?.total, 1)));
      })))),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('button', { type: 'button', class: 'quiet', disabled: info.page <= 1, onclick: () => go(info.page - 1) }, '← Previous'),
      h('span', {}, `${formatNumber(info.from)}–${formatNumber(info.to)} of ${formatNumber(data.total)} · page ${info.page} of ${info.pages}`),
      h('button', { type: 'button', class: 'quiet', disabled: info.page >= info.pages, onclick: () => go(info.page + 1) }, 'Next →')),
  ];
}

