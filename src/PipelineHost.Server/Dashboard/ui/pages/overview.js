import { h, replace } from '../dom.js';
import { STATES, formatDuration, formatMegabytes, formatNumber, formatPercent, formatTime, stateName, routeHash } from '../logic.js';

/** Overview: live counts, queue, workers, throughput, resources, hosts, recent failures, running tasks. */
export function overviewPage(view, session) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Waiting for the first snapshot…'));
  view.append(h('h1', {}, 'Overview'), body);
  if (session.kind !== 'api') return () => {};
  return session.onOverview((o) => replace(body, render(o)));
}

function stat(label, value, id) {
  return h('div', { class: 'panel stat', 'data-stat': id }, h('div', { class: 'value' }, value), h('div', { class: 'label' }, label));
}

function render(o) {
  const s = o.states ?? {};
  const t = o.throughput ?? {};
  const r = o.resources ?? {};
  return [
    h('div', { class: 'grid', role: 'list', 'aria-label': 'Tasks by state' },
      STATES.map((name) => h('div', { role: 'listitem' }, stat(name === 'NONE' ? 'QUEUED / NEW' : name, formatNumber(s[name] ?? 0), `state-${name}`)))),
    h('div', { class: 'grid' },
      stat('Queue depth', formatNumber(o.queueDepth), 'queue'),
      stat('Running workers', formatNumber(o.activeWorkers), 'workers'),
      stat('Free slots', formatNumber(o.freeSlots), 'free'),
      stat('Objects/s now', formatNumber(t.objectsPerSecond, 2), 'rate'),
      stat('Objects, last hour', formatNumber(t.lastHourObjects), 'hour'),
      stat('Failure rate, last hour', formatPercent(t.lastHourFailureRate), 'failure'),
      stat('CPU (running)', `${formatNumber(r.cpuPercent, 1)} %`, 'cpu'),
      stat('Memory (running)', formatMegabytes(r.memoryMb), 'memory'),
      stat('Tokens, last hour', formatNumber(r.lastHourTokens, 1), 'tokens')),
    h('div', { class: 'cols' },
      h('section', { class: 'panel', 'aria-labelledby': 'running-h' },
        h('h2', { id: 'running-h' }, `Running (${o.running.length})`),
        o.running.length === 0 ? h('p', { class: 'muted' }, 'Nothing is running.') : h('div', { class: 'table-wrap' }, h('table', {},
          h('thead', {}, h('tr', {}, h('th', {}, 'Task'), h('th', {}, 'State'), h('th', { class: 'num' }, 'Done'), h('th', { class: 'num' }, 'Failed'), h('th', { class: 'num hide-narrow' }, 'Running for'))),
          h('tbody', {}, o.running.map((task) => h('tr', {},
            h('td', {}, h('a', { href: routeHash('task', {}, task.token) }, task.name)),
            h('td', {}, stateName(task.state)),
            h('td', { class: 'num' }, formatNumber(task.completedCount)),
            h('td', { class: 'num' }, formatNumber(task.failedCount)),
            h('td', { class: 'num hide-narrow' }, formatDuration(o.at - task.startTime)))))))),
      h('section', { class: 'panel', 'aria-labelledby': 'failures-h' },
        h('h2', { id: 'failures-h' }, 'Recent failures'),
        o.recentFailures.length === 0 ? h('p', { class: 'muted' }, 'No failures in the last hour.') : h('ul', { class: 'findings' },
          o.recentFailures.map((f) => h('li', {}, h('a', { href: routeHash('task', {}, f.token) }, f.name), ' ', h('span', { class: 'muted' }, formatTime(f.endTime)), h('div', { class: 'error' }, f.exitMessage)))))),
    h('section', { class: 'panel', 'aria-labelledby': 'hosts-h' },
      h('h2', { id: 'hosts-h' }, o.mode === 'single' ? 'Host (single-host mode)' : 'Hosts'),
      h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Host'), h('th', { class: 'num' }, 'CPUs'), h('th', { class: 'num' }, 'Slots'), h('th', { class: 'num' }, 'Busy'), h('th', { class: 'num' }, 'Free'), h('th', { class: 'num' }, 'Queued'))),
        h('tbody', {}, (o.hosts ?? []).map((host) => h('tr', {},
          h('td', {}, host.name, host.local ? ' (this server)' : ''),
          h('td', { class: 'num' }, formatNumber(host.processors)),
          h('td', { class: 'num' }, formatNumber(host.slots)),
          h('td', { class: 'num' }, formatNumber(host.activeWorkers)),
          h('td', { class: 'num' }, formatNumber(host.freeSlots)),
          h('td', { class: 'num' }, formatNumber(host.queueDepth))))))),
      h('p', { class: 'muted' }, `Version ${o.version} · up ${formatDuration(o.uptime)} · snapshot ${formatTime(o.at)} UTC`)),
  ];
}
