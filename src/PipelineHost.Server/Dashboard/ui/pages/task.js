import { h, replace, toast } from '../dom.js';
import {
  emptyTaskView, reduceTaskEvent, eventKind, visibleRange, sparkPoints, pipelineLayout, stateName, tone,
  formatNumber, formatTime, formatMegabytes, formatBytes, formatDuration, curlForStatus, routeHash, taskTimes,
} from '../logic.js';

const ROW_HEIGHT = 20;
const RENDER_EVERY_MS = 250;
const EVENT_TYPES = ['SUMMARY', 'TASK', 'DETAIL', 'OUTPUT', 'FLOW'];

/**
 * One task: status, timeline, charts, pipeline graph, errors, the events tail and actions. Everything live comes
 * from one rrext_monitor subscription on the dashboard's WebSocket; rendering is throttled, the tail virtualised.
 */
export function taskPage(view, session, token) {
  let state = emptyTaskView();
  let pipeline = null;
  const componentCounts = new Map();
  let follow = true;
  let paused = false;
  const kinds = new Set(['status', 'error', 'warning', 'output', 'other', 'flow']);
  let dirty = true;
  let stopped = false;

  const header = h('div');
  const actions = h('div', { class: 'actions' });
  const counts = h('div', { class: 'grid' });
  const timeline = h('ol', { class: 'timeline', 'aria-label': 'State timeline' });
  const charts = h('div', { class: 'charts' });
  const graph = h('div', { class: 'graph' });
  const problems = h('div');
  const outputs = h('div');
  const raw = h('pre', { class: 'raw', tabindex: '0', 'aria-label': 'Raw status JSON' });
  const curl = h('code');
  const eventsBox = h('div', { class: 'events', tabindex: '0', role: 'log', 'aria-label': 'Events' });
  const eventsInner = h('div');
  eventsBox.append(eventsInner);
  const eventsNote = h('span', { class: 'muted' });
  const send = sendPanel(session, token);

  const followBox = h('input', { type: 'checkbox', id: 'ev-follow', checked: true, onchange: (e) => { follow = e.target.checked; dirty = true; } });
  const pauseButton = h('button', { type: 'button', class: 'quiet', 'aria-pressed': 'false', onclick: () => {
    paused = !paused;
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    pauseButton.setAttribute('aria-pressed', String(paused));
    dirty = true;
  } }, 'Pause');
  const kindBoxes = ['status', 'error', 'warning', 'output', 'flow', 'other'].map((k) => h('label', { class: 'inline' },
    h('input', { type: 'checkbox', checked: true, onchange: (e) => { if (e.target.checked) kinds.add(k); else kinds.delete(k); dirty = true; } }), ` ${k} `));

  view.append(
    header,
    h('section', { class: 'panel', 'aria-label': 'Actions' }, actions),
    counts,
    h('section', { class: 'panel', 'aria-labelledby': 'tl-h' }, h('h2', { id: 'tl-h' }, 'State timeline'), timeline),
    h('section', { class: 'panel', 'aria-labelledby': 'ch-h' }, h('h2', { id: 'ch-h' }, 'Resources (live)'), charts),
    h('div', { class: 'cols' },
      h('section', { class: 'panel', 'aria-labelledby': 'gr-h' }, h('h2', { id: 'gr-h' }, 'Pipeline'), graph),
      h('section', { class: 'panel', 'aria-labelledby': 'pr-h' }, h('h2', { id: 'pr-h' }, 'Errors and warnings'), problems)),
    send,
    h('section', { class: 'panel', 'aria-labelledby': 'ev-h' },
      h('h2', { id: 'ev-h' }, 'Events'),
      h('div', { class: 'form-row' },
        h('label', { for: 'ev-follow', class: 'inline' }, followBox, ' Follow'), pauseButton, h('fieldset', { class: 'inline' }, h('legend', { class: 'sr' }, 'Show'), kindBoxes), eventsNote),
      eventsBox),
    h('section', { class: 'panel', 'aria-labelledby': 'out-h' }, h('h2', { id: 'out-h' }, 'Outputs and failed items'), outputs),
    h('section', { class: 'panel', 'aria-labelledby': 'raw-h' }, h('h2', { id: 'raw-h' }, 'Raw status'),
      h('p', {}, 'Fetch it yourself: ', curl), h('details', {}, h('summary', {}, 'Show the status JSON'), raw)));

  eventsBox.addEventListener('scroll', () => {
    const atBottom = eventsBox.scrollTop + eventsBox.clientHeight >= eventsBox.scrollHeight - ROW_HEIGHT;
    if (!atBottom && follow) { follow = false; followBox.checked = false; }
    dirty = true;
  });

  const apply = (message) => {
    if (message.event === 'apaevt_flow' && message.body?.op === 'enter' && message.body.trace?.component) {
      const c = message.body.trace.component;
      componentCounts.set(c, (componentCounts.get(c) ?? 0) + 1);
    }
    if (paused && message.event !== 'apaevt_status_update') return;
    state = reduceTaskEvent(state, message, Date.now() / 1000);
    dirty = true;
  };

  const start = async () => {
    try {
      const status = await session.http.json('GET', `/task?token=${encodeURIComponent(token)}&config=true`);
      state = seedTimeline(reduceTaskEvent(state, { event: 'apaevt_status_update', body: status }, Date.now() / 1000), status);
      dirty = true;
      const got = await session.dap.request('rrext_get_pipeline', { token }).catch(() => null);
      pipeline = got?.pipeline ?? null;
      dirty = true;
    } catch (error) {
      replace(header, h('h1', {}, 'Task'), h('p', { class: 'error', role: 'alert' }, error.message));
      return;
    }
    subscribe();
  };
  const subscribe = () => {
    if (!stopped && !state.status?.completed) session.dap.request('rrext_monitor', { token, types: EVENT_TYPES }).catch(() => {});
  };
  const offEvent = session.onEvent((m) => {
    if (m.body?.__id && state.status?.id && m.body.__id !== state.status.id) return;
    apply(m);
  });
  const offReconnect = session.onReconnect(subscribe);
  start();

  // A restart keeps the token and starts the run afresh: read it again from the start, timeline and all.
  function restarted() {
    state = emptyTaskView();
    componentCounts.clear();
    delete actions.dataset.key;
    dirty = true;
    start();
  }

  // Rendering is decoupled from arrival: a task emitting 1,000 events/s costs at most four renders a second.
  const timer = setInterval(() => {
    if (!dirty || stopped) return;
    dirty = false;
    render();
  }, RENDER_EVERY_MS);

  function render() {
    const s = state.status;
    if (!s) return;
    renderHeader(header, s, session.kind);
    renderActions(actions, s, session, token, { pipeline: () => pipeline, restarted });
    const times = taskTimes(s, Date.now() / 1000);
    replace(counts,
      stat('Done', formatNumber(s.completedCount), 'done'), stat('Failed', formatNumber(s.failedCount), 'failed'),
      stat('Total', formatNumber(s.totalCount), 'total'), stat('Objects/s', formatNumber((s.rateCount ?? 0) / 100, 2), 'rate'),
      stat('Queue wait', formatDuration(times.queueWait), 'wait'), stat('Run time', formatDuration(times.runTime), 'run'));
    replace(timeline, state.timeline.map((t) => h('li', {}, h('b', {}, stateName(t.state)), formatTime(t.at))));
    replace(charts,
      chart('CPU', state.series.cpu, `${formatNumber(s.metrics?.cpu_percent ?? 0, 1)} %`, 100),
      chart('Memory', state.series.memory, formatMegabytes(s.metrics?.cpu_memory_mb ?? 0), 1),
      chart('Tokens', state.series.tokens, formatNumber(s.tokens?.total ?? 0, 1), 1));
    renderGraph(graph, pipeline, s, componentCounts);
    renderProblems(problems, s);
    renderOutputs(outputs, s, session, token);
    curl.textContent = curlForStatus(location.origin, token);
    if (raw.parentElement.open) raw.textContent = JSON.stringify(s, null, 2);
    renderEvents();
  }

  function renderEvents() {
    const rows = state.events.filter((e) => kinds.has(eventKind(e.event)));
    const range = visibleRange(rows.length, ROW_HEIGHT, eventsBox.scrollTop, eventsBox.clientHeight || 300);
    eventsInner.style.height = `${range.height}px`;
    replace(eventsInner, rows.slice(range.first, range.last).map((e, i) => {
      const row = h('div', { class: 'row', 'data-kind': eventKind(e.event) }, `${formatTime(e.at).slice(11)} ${e.event.replace('apaevt_', '')} ${e.text}`);
      row.style.top = `${(range.first + i) * ROW_HEIGHT}px`; // through the CSSOM: the CSP allows no inline style attributes
      return row;
    }));
    eventsNote.textContent = `${formatNumber(rows.length)} shown${state.eventsDropped ? `, ${formatNumber(state.eventsDropped)} older dropped` : ''}${paused ? ' · paused' : ''}`;
    if (follow) eventsBox.scrollTop = eventsBox.scrollHeight;
  }

  raw.parentElement?.addEventListener?.('toggle', () => { dirty = true; });

  return () => {
    stopped = true;
    clearInterval(timer);
    offEvent();
    offReconnect();
    session.dap.request('rrext_monitor', { token, types: [] }).catch(() => {});
  };
}

function seedTimeline(view, status) {
  const at = (iso) => (iso ? Date.parse(iso) / 1000 : null);
  const points = [{ state: 0, at: at(status.createdAt) }];
  if (status.startedAt) points.push({ state: 3, at: at(status.startedAt) });
  if (status.completedAt) points.push({ state: status.state, at: at(status.completedAt) });
  else if (status.state !== 0 && status.state !== 3) points.push({ state: status.state, at: Date.now() / 1000 });
  return { ...view, timeline: points.filter((p, i, all) => p.at && (i === 0 || all[i - 1].state !== p.state)) };
}

function stat(label, value, id) {
  return h('div', { class: 'panel stat', 'data-stat': id }, h('div', { class: 'value' }, value), h('div', { class: 'label' }, label));
}

function renderHeader(el, s, kind) {
  replace(el,
    h('h1', {}, s.name, ' ', h('span', { class: 'badge', 'data-tone': tone(s), id: 'task-state' }, stateName(s.state))),
    h('p', { class: 'muted' }, h('span', { class: 'mono' }, s.id), ` · ${s.provider} · ${s.taskType ?? ''} · `, h('span', { id: 'task-status' }, s.status),
      kind === 'task' ? ' · opened with this task\'s own token' : ''),
    s.completed ? h('p', { id: 'task-exit', class: tone(s) === 'failed' ? 'error' : '' }, `${s.statusName}: ${s.exitMessage || '(no message)'}${s.exitCode ? ` (exit code ${s.exitCode})` : ''}`) : null);
}

/** Stop, restart (with the task's own pipeline, as `restart` needs it) and retry failed items: the protocol's commands. */
function renderActions(el, s, session, token, { pipeline, restarted }) {
  if (el.dataset.key === `${s.state}|${s.failedItems}`) return;
  el.dataset.key = `${s.state}|${s.failedItems}`;
  const act = (label, run, cls) => h('button', { type: 'button', class: cls, onclick: async (e) => {
    e.target.disabled = true;
    try {
      await run();
    } catch (error) {
      toast(error.message);
    } finally {
      e.target.disabled = false;
    }
  } }, label);
  replace(el,
    !s.completed ? act('Stop', () => session.dap.request('terminate', { token }).then(() => toast('Stopping…')), 'danger') : null,
    act('Restart', async () => {
      const source = pipeline() ?? (await session.dap.request('rrext_get_pipeline', { token })).pipeline;
      await session.dap.request('restart', { token, pipeline: source });
      toast('Restarted');
      restarted();
    }),
    s.completed && s.failedItems > 0 ? act(`Retry ${s.failedItems} failed`, async () => {
      const started = await session.dap.request('rrext_retry_failed', { token });
      location.hash = routeHash('task', {}, started.token);
    }) : null);
}

function chart(label, values, now, floor) {
  return h('div', { class: 'chart' },
    h('div', { class: 'label' }, `${label}: `, h('b', {}, now)),
    h('svg', { viewBox: '0 0 300 70', preserveAspectRatio: 'none', role: 'img', 'aria-label': `${label} over the last ${values.length} samples` },
      h('polyline', { points: sparkPoints(values, 300, 68, floor) })));
}

function renderGraph(el, pipeline, s, counts) {
  if (!pipeline) return replace(el, h('p', { class: 'muted' }, 'The pipeline is not available for this task.'));
  const layout = pipelineLayout(pipeline);
  const W = 150, H = 46, GX = 60, GY = 18;
  const pos = new Map(layout.nodes.map((n) => [n.id, { x: 10 + n.layer * (W + GX), y: 10 + n.row * (H + GY) }]));
  const width = 20 + (Math.max(0, ...layout.nodes.map((n) => n.layer)) + 1) * (W + GX);
  const height = 20 + (Math.max(0, ...layout.nodes.map((n) => n.row)) + 1) * (H + GY);
  const busy = new Set(Object.values(s.pipeflow?.byPipe ?? {}).flatMap((stack) => stack.slice(1)));
  const countOf = (n) => (n.id === s.source ? `${formatNumber(s.completedCount)} done · ${formatNumber(s.failedCount)} failed`
    : counts.has(n.id) ? `${formatNumber(counts.get(n.id))} seen` : n.provider);
  replace(el, h('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Pipeline graph' },
    h('defs', {}, h('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '6', markerHeight: '6', orient: 'auto' }, h('path', { d: 'M0,0 L10,5 L0,10 z' }))),
    layout.edges.filter((e) => pos.has(e.from) && pos.has(e.to)).map((e) => {
      const a = pos.get(e.from), b = pos.get(e.to);
      return h('path', { d: `M${a.x + W},${a.y + H / 2} C${a.x + W + GX / 2},${a.y + H / 2} ${b.x - GX / 2},${b.y + H / 2} ${b.x},${b.y + H / 2}` }, h('title', {}, e.lane));
    }),
    layout.nodes.map((n) => {
      const p = pos.get(n.id);
      return h('g', { 'data-component': n.id },
        h('rect', { x: p.x, y: p.y, width: W, height: H, class: busy.has(n.id) ? 'busy' : null }),
        h('text', { x: p.x + 8, y: p.y + 18 }, n.id),
        h('text', { x: p.x + 8, y: p.y + 36, class: 'muted' }, countOf(n)));
    })));
}

function renderProblems(el, s) {
  const errors = s.errors ?? [];
  const warnings = s.warnings ?? [];
  if (!errors.length && !warnings.length) return replace(el, h('p', { class: 'muted' }, 'None.'));
  replace(el,
    errors.length ? h('ul', { class: 'findings', 'aria-label': 'Errors' }, errors.slice(-20).map((e) => h('li', { class: 'error' }, e))) : null,
    (s.errorSummary ?? []).length > 1 ? h('p', { class: 'muted' }, 'Most frequent: ', s.errorSummary.map((e) => `${e.message} ×${e.count}`).join('; ')) : null,
    warnings.length ? h('ul', { class: 'findings', 'aria-label': 'Warnings' }, warnings.slice(-20).map((w) => h('li', { class: 'warning' }, w))) : null);
}

function renderOutputs(el, s, session, token) {
  const key = `${(s.outputs ?? []).length}|${s.failedItems}`;
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  const outputs = s.outputs ?? [];
  replace(el,
    outputs.length === 0 ? h('p', { class: 'muted' }, 'No output files.') : h('ul', {}, outputs.map((o) => h('li', {},
      h('button', { type: 'button', class: 'quiet', onclick: () => session.http.download(`/task/output?token=${encodeURIComponent(token)}&name=${encodeURIComponent(o.name)}`, o.name).catch((e) => toast(e.message)) }, `Download ${o.name}`),
      ` ${formatBytes(o.size)} · ${o.contentType}`))),
    h('p', {}, `Failed items kept for a retry: ${formatNumber(s.failedItems ?? 0)}`));
}

/** Send a file or text to a running task's source (POST /task/data, the same call curl makes). */
export function sendPanel(session, token) {
  const text = h('textarea', { id: 'send-text', rows: 3, placeholder: 'Text to send as one object' });
  const file = h('input', { id: 'send-file', type: 'file', multiple: true });
  const result = h('pre', { class: 'raw', 'aria-live': 'polite', hidden: true });
  const form = h('form', {},
    h('label', { for: 'send-text' }, 'Text'), text,
    h('div', { class: 'form-row' }, h('div', {}, h('label', { for: 'send-file' }, 'Or files'), file),
      h('div', {}, h('button', { type: 'submit', id: 'send-button' }, 'Send'))),
    result);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = new FormData();
    for (const f of file.files) body.append('file', f, f.name);
    if (text.value) body.append('text', text.value);
    if (![...body.keys()].length) return toast('Type some text or choose a file first.');
    try {
      const data = await session.http.json('POST', `/task/data?token=${encodeURIComponent(token)}`, body);
      result.hidden = false;
      result.textContent = JSON.stringify(data, null, 2);
      text.value = '';
      file.value = '';
      toast('Sent');
    } catch (error) {
      toast(error.message);
    }
  });
  return h('section', { class: 'panel', 'aria-labelledby': 'send-h' }, h('h2', { id: 'send-h' }, 'Send data'), form);
}
