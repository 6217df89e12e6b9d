import { h, replace, toast } from '../dom.js';
import { formatRelative, formatTime, routeHash, stateName } from '../logic.js';

/** Deployments: schedule, next and past fires with the task each started, pause/resume, run now, add. */
export function deploymentsPage(view, session) {
  const list = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  let stopped = false;
  const load = async () => {
    try {
      const data = await session.dap.request('rrext_deploy_list');
      if (stopped) return;
      const rows = await Promise.all((data.deployments ?? []).map(async (d) => {
        const past = await session.http.json('GET', `/history?projectId=${encodeURIComponent(d.project_id)}&limit=5`).catch(() => ({ tasks: [] }));
        return { d, past: past.tasks };
      }));
      if (!stopped) replace(list, render(rows));
    } catch (error) {
      replace(list, h('p', { class: 'error', role: 'alert' }, error.message));
    }
  };
  const act = (command, projectId, done) => async (e) => {
    e.target.disabled = true;
    try {
      const record = await session.dap.request(command, { projectId });
      toast(done(record));
      await load();
    } catch (error) {
      toast(error.message);
      e.target.disabled = false;
    }
  };
  const now = () => Date.now() / 1000;
  const render = (rows) => rows.length === 0 ? h('p', { class: 'muted' }, 'Nothing is deployed.') : h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Deployments' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Project'), h('th', {}, 'Schedule'), h('th', {}, 'State'), h('th', {}, 'Next fire'), h('th', {}, 'Past fires'), h('th', {}, 'Actions'))),
    h('tbody', {}, rows.map(({ d, past }) => h('tr', { 'data-project': d.project_id },
      h('td', { class: 'mono' }, d.project_id),
      h('td', { class: 'mono' }, d.schedule),
      h('td', {}, d.state),
      h('td', {}, d.state === 'paused' ? 'paused' : d.nextRunAt ? `${formatTime(d.nextRunAt)} (${formatRelative(d.nextRunAt, now())})` : 'manual only'),
      h('td', {}, past.length === 0 ? h('span', { class: 'muted' }, 'none yet') : h('ul', { class: 'findings' }, past.map((t) => h('li', {},
        h('a', { href: routeHash('task', {}, t.token ?? t.id) }, formatTime(t.startTime)), ` ${t.statusName ?? stateName(t.state)}`))),
        d.lastRunSkipped ? h('div', { class: 'warning' }, 'last due time skipped: the previous run was still active') : null,
        d.lastError ? h('div', { class: 'error' }, d.lastError) : null),
      h('td', {}, h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: act('rrext_deploy_run', d.project_id, (r) => `Started ${r.lastToken.slice(0, 10)}…`) }, 'Run now'),
        d.state === 'paused'
          ? h('button', { type: 'button', class: 'quiet', onclick: act('rrext_deploy_resume', d.project_id, () => 'Resumed') }, 'Resume')
          : h('button', { type: 'button', class: 'quiet', onclick: act('rrext_deploy_pause', d.project_id, () => 'Paused') }, 'Pause'))))))));

  const pipeline = h('textarea', { id: 'dep-pipeline', rows: 6, spellcheck: 'false', placeholder: '{"project_id": "…", "components": [...], "source": "…"}' });
  const schedule = h('input', { id: 'dep-schedule', type: 'text', value: 'manual', size: 18 });
  const form = h('form', {},
    h('label', { for: 'dep-pipeline' }, 'Pipeline JSON or .pipe file (with a project_id)'), pipeline,
    h('div', { class: 'form-row' }, h('div', {}, h('label', { for: 'dep-schedule' }, 'Schedule (manual, @hourly, or 5 cron fields, UTC)'), schedule),
      h('div', {}, h('button', { type: 'submit' }, 'Deploy'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      // Sent as text: the server reads it as a .pipe file (JSON5: comments, trailing commas, unquoted keys).
      await session.dap.request('rrext_deploy_add', { pipeline: pipeline.value, schedule: schedule.value });
      pipeline.value = '';
      toast('Deployed');
      await load();
    } catch (error) {
      toast(error.message);
    }
  });

  view.append(h('h1', {}, 'Deployments'), h('section', { class: 'panel' }, list),
    h('section', { class: 'panel', 'aria-labelledby': 'add-h' }, h('h2', { id: 'add-h' }, 'Deploy a pipeline'), form));
  load();
  // Runs start from the scheduler too: re-read when the overview says tasks changed (throttled by the stream).
  let last = Date.now();
  const off = session.onOverview(() => {
    if (Date.now() - last > 5000) {
      last = Date.now();
      load();
    }
  });
  return () => {
    stopped = true;
    off();
  };
}
