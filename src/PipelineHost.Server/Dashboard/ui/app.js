// The dashboard shell: sign-in, the one live overview stream, the router. Pages are in pages/*.js.
import { Http, Dap } from './api.js';
import { credentialKind, parseRoute } from './logic.js';
import { overviewPage } from './pages/overview.js';
import { taskListPage } from './pages/tasks.js';
import { taskPage } from './pages/task.js';
import { launchPage } from './pages/launch.js';
import { deploymentsPage } from './pages/deployments.js';
import { replace } from './dom.js';

const KEY = 'pipelinehost.credential';
const $ = (id) => document.getElementById(id);

/** What every page gets: the credential's clients, the latest overview, and a way to hear about new ones. */
class Session {
  constructor(credential) {
    this.credential = credential;
    this.kind = credentialKind(credential);
    this.http = new Http(credential);
    this.listeners = new Set();
    this.overview = null;
    this.dap = new Dap(credential, {
      onEvent: (message) => this.eventListeners.forEach((l) => l(message)),
      onOpen: () => this.openListeners.forEach((l) => l()),
      onState: (state) => setLive(state),
    });
    this.eventListeners = new Set();
    this.openListeners = new Set();
    this.abort = new AbortController();
    if (this.kind === 'api') {
      // One stream for the whole dashboard; pages read the snapshot, none polls.
      this.http.stream('/dashboard/events', (name, data) => {
        if (name !== 'overview') return;
        this.overview = data;
        this.listeners.forEach((l) => l(data));
      }, this.abort.signal, setLive);
    }
  }

  onOverview(listener) {
    this.listeners.add(listener);
    if (this.overview) listener(this.overview);
    return () => this.listeners.delete(listener);
  }

  onEvent(listener) {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onReconnect(listener) {
    this.openListeners.add(listener);
    return () => this.openListeners.delete(listener);
  }

  close() {
    this.abort.abort();
    this.dap.close();
  }
}

let session = null;
let cleanup = () => {};

function setLive(state) {
  const live = $('live');
  live.dataset.state = state;
  live.textContent = { live: 'Live', reconnecting: 'Reconnecting…', denied: 'Signed out' }[state] ?? '';
}

async function signIn(credential) {
  const kind = credentialKind(credential);
  if (kind === 'public') {
    throw new Error('That is a public key (pk_): it can send data to a task but opens nothing here. Sign in with an API key, or open the task link (tk_) you were given.');
  }
  if (kind === 'none') throw new Error('Enter an API key.');
  // GET /status checks the credential without changing anything (an API key or a tk_ task token).
  const response = await fetch('/status', { headers: { Authorization: `Bearer ${credential}`, Accept: 'application/json' } });
  if (response.status === 401) {
    throw new Error(kind === 'task' ? 'That task token was not accepted: the task may have ended and left the server.' : 'That API key was not accepted. Check it against the one the server printed (or .pipelinehost/api-key).');
  }
  if (!response.ok) throw new Error(`The server answered ${response.status}.`);
  sessionStorage.setItem(KEY, credential);
  startSession(credential);
}

function startSession(credential) {
  session?.close();
  session = new Session(credential);
  $('signin').hidden = true;
  $('signout').hidden = false;
  // A task token opens its own task's page and nothing else.
  $('nav').hidden = session.kind !== 'api';
  if (session.kind === 'task') location.hash = `#/task/${encodeURIComponent(credential)}`;
  route();
}

function signOut() {
  sessionStorage.removeItem(KEY);
  session?.close();
  session = null;
  cleanup();
  replace($('view'));
  $('nav').hidden = true;
  $('signout').hidden = true;
  $('signin').hidden = false;
  setLive('');
  $('key').focus();
}

function route() {
  if (!session) return;
  cleanup();
  const view = $('view');
  replace(view);
  let r = parseRoute(location.hash);
  if (session.kind === 'task' && (r.page !== 'task' || r.token !== session.credential)) {
    location.replace(`#/task/${encodeURIComponent(session.credential)}`);
    return;
  }
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.page === r.page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const pages = {
    overview: () => overviewPage(view, session),
    tasks: () => taskListPage(view, session, r.params, { live: true }),
    history: () => taskListPage(view, session, r.params, { live: false }),
    task: () => taskPage(view, session, r.token),
    launch: () => launchPage(view, session),
    deployments: () => deploymentsPage(view, session),
  };
  cleanup = (pages[r.page] ?? pages.overview)() ?? (() => {});
  document.title = `${r.page === 'task' ? 'Task' : r.page[0].toUpperCase() + r.page.slice(1)} · PipelineHost`;
}

function start() {
  $('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('signin-error');
    error.textContent = '';
    const key = $('key').value.trim();
    try {
      await signIn(key);
      $('key').value = '';
    } catch (err) {
      error.textContent = err.message;
      $('key').setAttribute('aria-invalid', 'true');
      $('key').focus();
    }
  });
  $('signout').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);

  // A shared task link (#/task/tk_…) signs in with its own token: it opens that task only.
  const r = parseRoute(location.hash);
  const stored = sessionStorage.getItem(KEY);
  if (r.page === 'task' && credentialKind(r.token) === 'task' && (!stored || credentialKind(stored) !== 'api')) {
    signIn(r.token).catch((err) => showSignIn(err.message));
  } else if (r.page === 'task' && credentialKind(r.token) === 'public') {
    showSignIn('That is a public key (pk_): it can send data to a task but opens nothing here.');
  } else if (stored) {
    startSession(stored);
  } else {
    showSignIn('');
  }
}

function showSignIn(message) {
  $('signin').hidden = false;
  $('signin-error').textContent = message;
  $('key').focus();
}

start();
