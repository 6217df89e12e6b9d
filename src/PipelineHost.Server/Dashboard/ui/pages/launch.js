import { h, replace, toast } from '../dom.js';
import { findingsByComponent, routeHash } from '../logic.js';
import { sendPanel } from './task.js';

const EXAMPLE = {
  components: [
    { id: 'webhook_1', provider: 'webhook', config: { mode: 'Source' } },
    { id: 'response_1', provider: 'response', input: [{ lane: 'text', from: 'webhook_1' }] },
  ],
  source: 'webhook_1',
};

/** Launch: paste or upload a pipeline, validate it (findings on their component), execute it, land on its page. */
export function launchPage(view, session) {
  const text = h('textarea', { id: 'pipeline', rows: 16, spellcheck: 'false', 'aria-describedby': 'pipeline-help' }, JSON.stringify(EXAMPLE, null, 2));
  const upload = h('input', { id: 'pipeline-file', type: 'file', accept: '.json,application/json' });
  upload.addEventListener('change', async () => {
    if (upload.files[0]) text.value = await upload.files[0].text();
  });
  const findings = h('div', { id: 'findings', 'aria-live': 'polite' });
  const opt = (id, label, attrs) => h('div', {}, h('label', { for: id }, label), h('input', { id, name: id, ...attrs }));
  const trace = h('select', { id: 'opt-trace', name: 'pipelineTraceLevel' }, ['none', 'metadata', 'summary', 'full'].map((l) => h('option', { value: l }, l)));
  const options = h('div', { class: 'form-row' },
    opt('opt-name', 'Name', { type: 'text', size: 18 }),
    opt('opt-threads', 'Threads (pipes)', { type: 'number', min: 1, max: 64, size: 5 }),
    opt('opt-ttl', 'Idle TTL (s)', { type: 'number', min: 0, size: 6 }),
    opt('opt-timeout', 'Timeout (s)', { type: 'number', min: 0, size: 6 }),
    opt('opt-expires', 'Queue expiry (s)', { type: 'number', min: 0, size: 6 }),
    h('div', {}, h('label', { for: 'opt-trace' }, 'Trace level'), trace));

  const parse = () => {
    try {
      return JSON.parse(text.value);
    } catch (error) {
      replace(findings, h('p', { class: 'error', role: 'alert' }, `Not JSON: ${error.message}`));
      return null;
    }
  };
  const validate = async () => {
    const pipeline = parse();
    if (!pipeline) return false;
    const result = await session.dap.request('rrext_validate', { pipeline });
    showFindings(findings, pipeline, result);
    return (result.errors ?? []).length === 0;
  };
  const launch = async () => {
    const pipeline = parse();
    if (!pipeline) return;
    if (!(await validate())) return;
    const args = { pipeline };
    const value = (id) => document.getElementById(id).value.trim();
    if (value('opt-name')) args.name = value('opt-name');
    for (const [id, key] of [['opt-threads', 'threads'], ['opt-ttl', 'ttl'], ['opt-timeout', 'timeout'], ['opt-expires', 'expires']]) {
      if (value(id)) args[key] = Number(value(id));
    }
    if (trace.value !== 'none') args.pipelineTraceLevel = trace.value;
    const started = await session.dap.request('execute', args);
    toast(started.queued ? `Queued at position ${started.queuePosition}` : 'Started');
    location.hash = routeHash('task', {}, started.token);
  };
  const guard = (fn) => async (e) => {
    e.target.disabled = true;
    try {
      await fn();
    } catch (error) {
      replace(findings, h('p', { class: 'error', role: 'alert' }, error.message));
    } finally {
      e.target.disabled = false;
    }
  };

  const target = h('select', { id: 'send-target' }, h('option', { value: '' }, 'choose a running task'));
  const sendBox = h('div');
  target.addEventListener('change', () => replace(sendBox, target.value ? sendPanel(session, target.value) : null));
  const off = session.onOverview((o) => {
    const current = target.value;
    replace(target, h('option', { value: '' }, 'choose a running task'),
      o.running.filter((t) => t.state === 3).map((t) => h('option', { value: t.token, selected: t.token === current }, `${t.name} (${t.id})`)));
  });

  view.append(
    h('h1', {}, 'Launch'),
    h('section', { class: 'panel', 'aria-labelledby': 'p-h' },
      h('h2', { id: 'p-h' }, 'Pipeline'),
      h('label', { for: 'pipeline' }, 'Pipeline JSON'),
      text,
      h('p', { id: 'pipeline-help', class: 'muted' }, 'Paste a pipeline (as in examples/) or load a file.'),
      h('div', { class: 'form-row' }, h('div', {}, h('label', { for: 'pipeline-file' }, 'Load from a file'), upload)),
      h('h2', {}, 'Execute options'),
      options,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'quiet', id: 'validate', onclick: guard(validate) }, 'Validate'),
        h('button', { type: 'button', id: 'launch', onclick: guard(launch) }, 'Launch')),
      findings),
    h('section', { class: 'panel', 'aria-labelledby': 's-h' },
      h('h2', { id: 's-h' }, 'Send to a running task'),
      h('label', { for: 'send-target' }, 'Task'), target, sendBox));
  return off;
}

function showFindings(el, pipeline, result) {
  const groups = findingsByComponent(result);
  const components = pipeline.components ?? pipeline.pipeline?.components ?? [];
  const ok = (result.errors ?? []).length === 0;
  replace(el,
    h('p', { class: ok ? '' : 'error', role: ok ? 'status' : 'alert' }, ok ? `Valid${(result.warnings ?? []).length ? ', with warnings' : ''}.` : `${result.errors.length} error(s).`),
    groups[''] ? h('ul', { class: 'findings' }, [...groups[''].errors.map((m) => h('li', { class: 'error' }, m)), ...groups[''].warnings.map((m) => h('li', { class: 'warning' }, m))]) : null,
    h('ul', { class: 'component-list', 'aria-label': 'Components' }, components.map((c) => {
      const g = groups[c.id];
      return h('li', { 'data-component': c.id, 'data-bad': g?.errors.length ? true : null },
        `${c.id} (${c.provider})`,
        g ? h('ul', {}, [...g.errors.map((m) => h('li', { class: 'error' }, m)), ...g.warnings.map((m) => h('li', { class: 'warning' }, m))]) : null);
    })));
}
