// The dashboard's pure logic: formatting, routes, filters <-> URL, reducers. No DOM, no network, so node --test
// runs it as is (tests/PipelineHost.Dashboard.Tests/js).

/** Task states by their wire number (tasks.md §1). */
export const STATES = ['NONE', 'STARTING', 'INITIALIZING', 'RUNNING', 'STOPPING', 'COMPLETED', 'CANCELLED'];

/** The state name of a wire number; `?` for anything else. */
export function stateName(state) {
  return STATES[state] ?? '?';
}

/** A CSS-friendly tone for a status: running, done, failed, stopped or waiting. */
export function tone(status) {
  if (!status) return 'waiting';
  const name = status.statusName ?? '';
  if (name === 'COMPLETED') return 'done';
  if (name === 'FAILED' || name === 'TIMEOUT' || name === 'EXPIRED') return 'failed';
  if (name === 'CANCELED') return 'stopped';
  if (status.state >= 1 && status.state <= 4) return 'running';
  return 'waiting';
}

/** What kind of credential a key is: `task` (tk_), `public` (pk_), `api` (anything else), or `none`. */
export function credentialKind(key) {
  const k = (key ?? '').trim();
  if (!k) return 'none';
  if (k.startsWith('tk_')) return 'task';
  if (k.startsWith('pk_')) return 'public';
  return 'api';
}

/** `1234567` -> `1,234,567`; null/undefined -> `–`. */
export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return Number(value).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** Seconds as `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 07 min`, `3 d 4 h`. */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.floor(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** Bytes as `512 B`, `1.5 KiB`, `3.2 MiB`, `1.1 GiB`. */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Megabytes as the metrics report them (`cpu_memory_mb`). */
export function formatMegabytes(mb) {
  return mb === null || mb === undefined ? '–' : formatBytes(mb * 1024 * 1024);
}

/** Unix seconds as `2026-11-23 12:00:05` in UTC (what the server's logs and ISO fields say); 0/null -> `–`. */
export function formatTime(unixSeconds) {
  if (!unixSeconds) return '–';
  return new Date(unixSeconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

/** `5 s ago`, `3 min ago`, `in 2 h` relative to `now` (both unix seconds). */
export function formatRelative(unixSeconds, now) {
  if (!unixSeconds) return '–';
  const delta = unixSeconds - now;
  const text = formatDuration(Math.abs(delta)).replace(/\.\d s$/, ' s');
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

/** A percentage of 0..1 as `12.5 %`. */
export function formatPercent(ratio, digits = 1) {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  return `${(ratio * 100).toFixed(digits)} %`;
}

/** How long a task waited in the queue and how long it ran (seconds), from a status or a history entry. */
export function taskTimes(entry, now) {
  const created = isoSeconds(entry.createdAt) ?? entry.startTime ?? null;
  const started = isoSeconds(entry.startedAt);
  const ended = isoSeconds(entry.completedAt) ?? (entry.endTime ? entry.endTime : null);
  return {
    queueWait: created !== null && started !== null ? Math.max(0, started - created) : null,
    runTime: started !== null ? Math.max(0, (ended ?? now) - started) : null,
  };
}

function isoSeconds(iso) {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms / 1000;
}

// ---- routes ---------------------------------------------------------------------------------------------

/**
 * The page a location hash names: `#/`, `#/tasks?state=RUNNING`, `#/task/tk_…`, `#/launch`, `#/deployments`,
 * `#/history?…`. Unknown hashes are the overview.
 */
export function parseRoute(hash) {
  const raw = (hash ?? '').replace(/^#/, '');
  const [path, query = ''] = raw.split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = Object.fromEntries(new URLSearchParams(query));
  const page = parts[0] ?? 'overview';
  if (page === 'task' && parts[1]) return { page: 'task', token: parts[1], params };
  if (['tasks', 'launch', 'deployments', 'history'].includes(page)) return { page, params };
  return { page: 'overview', params };
}

/** The hash of a route (the inverse of parseRoute for the pages that have one). */
export function routeHash(page, params = {}, token = null) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v !== null && v !== undefined)).toString();
  const path = page === 'task' ? `/task/${encodeURIComponent(token)}` : page === 'overview' ? '/' : `/${page}`;
  return `#${path}${query ? `?${query}` : ''}`;
}

// ---- filters <-> URL <-> GET /history ---------------------------------------------------------------------

/** The filter fields, in the order the form and the URL show them. */
export const FILTER_FIELDS = ['state', 'name', 'projectId', 'source', 'token', 'from', 'to', 'sort', 'order', 'page'];

/** Defaults that are left out of the URL. */
const FILTER_DEFAULTS = { sort: 'created', order: 'desc', page: '1' };

/** Filters from URL parameters: only known fields, trimmed, defaults filled in. */
export function filtersFromParams(params) {
  const filters = { ...FILTER_DEFAULTS };
  for (const field of FILTER_FIELDS) {
    const value = params?.[field];
    if (typeof value === 'string' && value.trim() !== '') filters[field] = value.trim();
  }
  const page = Number.parseInt(filters.page, 10);
  filters.page = String(Number.isFinite(page) && page > 0 ? page : 1);
  return filters;
}

/** URL parameters from filters: empty values and defaults left out, so a shared link stays short. */
export function paramsFromFilters(filters) {
  const params = {};
  for (const field of FILTER_FIELDS) {
    const value = filters?.[field];
    if (value !== undefined && value !== null && String(value).trim() !== '' && FILTER_DEFAULTS[field] !== String(value)) {
      params[field] = String(value).trim();
    }
  }
  return params;
}

/**
 * The `GET /history` query string for filters and a page size. `from`/`to` are `datetime-local` values read as
 * UTC (the page shows UTC everywhere).
 */
export function historyQuery(filters, pageSize) {
  const f = filtersFromParams(filters);
  const q = new URLSearchParams();
  q.set('limit', String(pageSize));
  q.set('offset', String((Number(f.page) - 1) * pageSize));
  for (const field of ['state', 'name', 'projectId', 'source', 'token']) {
    if (f[field]) q.set(field, f[field]);
  }
  for (const field of ['from', 'to']) {
    if (f[field]) q.set(field, toIsoUtc(f[field]));
  }
  if (f.sort !== 'created') q.set('sort', f.sort);
  if (f.order !== 'desc') q.set('order', f.order);
  return q.toString();
}

function toIsoUtc(local) {
  return /Z$|[+-]\d\d:\d\d$/.test(local) ? local : `${local.length === 16 ? `${local}:00` : local}Z`;
}

/** Page numbers for a pager: `{page, pages, from, to}` with `from..to` the 1-based rows shown. */
export function pageInfo(total, page, pageSize) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const current = Math.min(Math.max(1, page), pages);
  return { page: current, pages, from: total === 0 ? 0 : (current - 1) * pageSize + 1, to: Math.min(total, current * pageSize) };
}

// ---- reducers -------------------------------------------------------------------------------------------

/** Most points a live chart keeps (2 minutes at the server's one status per second). */
export const SERIES_LENGTH = 120;

/** A new empty task view. */
export function emptyTaskView() {
  return { status: null, timeline: [], series: { cpu: [], memory: [], tokens: [] }, events: [], eventsDropped: 0 };
}

/** Most events the tail keeps in memory; older ones are dropped and counted. */
export const EVENTS_KEPT = 2000;

/**
 * The task view after one pushed event (`{event, body}` as the WebSocket delivers it). Status updates replace
 * the status, extend the state timeline (a new state only) and the chart series; every event goes into the
 * tail, which keeps the newest EVENTS_KEPT. Returns a new view; the input is not changed.
 */
export function reduceTaskEvent(view, message, now) {
  const next = { ...view };
  if (message.event === 'apaevt_status_update' && message.body) {
    const status = message.body;
    next.status = status;
    const last = view.timeline[view.timeline.length - 1];
    if (!last || last.state !== status.state) {
      next.timeline = [...view.timeline, { state: status.state, at: now }];
    }
    const metrics = status.metrics ?? {};
    next.series = {
      cpu: pushSeries(view.series.cpu, metrics.cpu_percent ?? 0),
      memory: pushSeries(view.series.memory, metrics.cpu_memory_mb ?? 0),
      tokens: pushSeries(view.series.tokens, status.tokens?.total ?? 0),
    };
  }
  const entry = { seq: message.seq ?? 0, at: now, event: message.event, text: eventText(message) };
  const events = view.events.length >= EVENTS_KEPT ? view.events.slice(view.events.length - EVENTS_KEPT + 1) : view.events.slice();
  events.push(entry);
  next.events = events;
  next.eventsDropped = view.eventsDropped + (view.events.length >= EVENTS_KEPT ? 1 : 0);
  return next;
}

function pushSeries(series, value) {
  const next = series.length >= SERIES_LENGTH ? series.slice(series.length - SERIES_LENGTH + 1) : series.slice();
  next.push(Number(value) || 0);
  return next;
}

/** One line of text for an event in the tail. */
export function eventText(message) {
  const b = message.body ?? {};
  switch (message.event) {
    case 'apaevt_status_update':
      return `${stateName(b.state)} ${b.status ?? ''} · ${formatNumber(b.completedCount)} done, ${formatNumber(b.failedCount)} failed`;
    case 'apaevt_task':
      return `task ${b.action}`;
    case 'apaevt_status_message':
    case 'apaevt_status_error':
    case 'apaevt_status_warning':
      return b.message ?? '';
    case 'apaevt_status_object':
      return `object ${b.object ?? ''} (${formatBytes(b.size)})`;
    case 'output':
      return (b.output ?? '').replace(/\n$/, '');
    default:
      return JSON.stringify(b).slice(0, 300);
  }
}

/** The event type filter names of the tail, mapped from wire event names. */
export function eventKind(eventName) {
  if (eventName === 'apaevt_status_update') return 'status';
  if (eventName === 'apaevt_status_error') return 'error';
  if (eventName === 'apaevt_status_warning') return 'warning';
  if (eventName === 'output') return 'output';
  if (eventName === 'apaevt_flow') return 'flow';
  return 'other';
}

/** The rows of a virtualised list: which slice of `count` rows of `rowHeight` px a viewport shows. */
export function visibleRange(count, rowHeight, scrollTop, viewportHeight, overscan = 10) {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + viewportHeight) / rowHeight) + overscan);
  return { first, last, top: first * rowHeight, height: count * rowHeight };
}

// ---- charts and graph -----------------------------------------------------------------------------------

/** An SVG polyline `points` for values in a `width` x `height` box (the y axis from 0 to the max, at least `floor`). */
export function sparkPoints(values, width, height, floor = 1) {
  if (!values.length) return '';
  const max = Math.max(floor, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * height).toFixed(1)}`).join(' ');
}

/**
 * The pipeline as layers for drawing: `{nodes:[{id, provider, layer, row}], edges:[{from, to, lane}]}`, each
 * component one layer right of the furthest component feeding it (the source in layer 0).
 */
export function pipelineLayout(pipeline) {
  const components = pipeline?.components ?? pipeline?.pipeline?.components ?? [];
  const edges = [];
  for (const c of components) {
    for (const input of c.input ?? []) edges.push({ from: input.from, to: c.id, lane: input.lane });
  }
  const layer = new Map(components.map((c) => [c.id, 0]));
  for (let pass = 0; pass < components.length; pass++) {
    let changed = false;
    for (const e of edges) {
      if (layer.has(e.from) && layer.has(e.to) && layer.get(e.to) < layer.get(e.from) + 1) {
        layer.set(e.to, layer.get(e.from) + 1);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const rows = new Map();
  const nodes = components.map((c) => {
    const l = layer.get(c.id) ?? 0;
    const row = rows.get(l) ?? 0;
    rows.set(l, row + 1);
    return { id: c.id, provider: c.provider, layer: l, row };
  });
  return { nodes, edges };
}

/** Validation findings grouped by component id (`''` for the pipeline as a whole). */
export function findingsByComponent(result) {
  const groups = {};
  for (const kind of ['errors', 'warnings']) {
    for (const finding of result?.[kind] ?? []) {
      const id = finding.id ?? '';
      groups[id] ??= { errors: [], warnings: [] };
      groups[id][kind].push(finding.message);
    }
  }
  return groups;
}

/** The `curl` that fetches a task's status (the task token is its own credential there). */
export function curlForStatus(origin, token) {
  return `curl -s '${origin}/task?token=${token}'`;
}
