// Talking to the server: the HTTP API (fetch with the key in the Authorization header, never in a URL), the
// WebSocket protocol for commands and a task's pushed events, and the dashboard's Server-Sent Events read with
// fetch (EventSource cannot send a header).

/** An error the server answered, with its message and HTTP status (0 for the WebSocket). */
export class ApiError extends Error {
  constructor(message, status = 0) {
    super(message);
    this.status = status;
  }
}

/** HTTP calls with one credential. */
export class Http {
  constructor(credential) {
    this.credential = credential;
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.credential}`, Accept: 'application/json', ...extra };
  }

  /** A JSON envelope call; resolves to `data`, rejects with ApiError carrying the server's message. */
  async json(method, path, body, contentType = 'application/json') {
    const init = { method, headers: this.headers(body === undefined ? {} : { 'Content-Type': contentType }) };
    if (body !== undefined) init.body = typeof body === 'string' || body instanceof Blob || body instanceof FormData ? body : JSON.stringify(body);
    if (body instanceof FormData) delete init.headers['Content-Type'];
    const response = await fetch(path, init);
    let envelope = null;
    try {
      envelope = await response.json();
    } catch {
      throw new ApiError(`${response.status} ${response.statusText}`, response.status);
    }
    if (!response.ok || envelope?.status === 'Error') {
      throw new ApiError(envelope?.error?.message ?? `${response.status} ${response.statusText}`, response.status);
    }
    return envelope?.data ?? envelope;
  }

  /** A file download with the credential in the header; saved through an object URL. */
  async download(path, fileName) {
    const response = await fetch(path, { headers: this.headers({ Accept: '*/*' }) });
    if (!response.ok) throw new ApiError(`Download failed: ${response.status}`, response.status);
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /**
   * Reads Server-Sent Events from `path` until `signal` aborts; calls `onEvent(name, data)` per event.
   * Reconnects after a dropped connection with a growing delay; stops for good on 401/403.
   */
  async stream(path, onEvent, signal, onState = () => {}) {
    let delay = 1000;
    while (!signal.aborted) {
      try {
        const response = await fetch(path, { headers: this.headers({ Accept: 'text/event-stream' }), signal });
        if (response.status === 401 || response.status === 403) {
          onState('denied');
          return;
        }
        if (!response.ok || !response.body) throw new Error(String(response.status));
        onState('live');
        delay = 1000;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let name = 'message';
            const data = [];
            for (const line of frame.split('\n')) {
              if (line.startsWith('event:')) name = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
            }
            if (data.length) onEvent(name, JSON.parse(data.join('\n')));
          }
        }
      } catch (error) {
        if (signal.aborted) return;
      }
      onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  }
}

/**
 * The WebSocket protocol (protocol-spec/protocol.md): one connection, authenticated with the credential,
 * concurrent requests matched by `request_seq`, events to `onEvent`. Reconnects (and re-authenticates) when
 * the connection drops; `onOpen` runs after every successful authentication so subscriptions can be renewed.
 */
export class Dap {
  constructor(credential, { onEvent = () => {}, onOpen = () => {}, onState = () => {} } = {}) {
    this.credential = credential;
    this.onEvent = onEvent;
    this.onOpen = onOpen;
    this.onState = onState;
    this.seq = 0;
    this.pending = new Map();
    this.closed = false;
    this.ready = null;
    this.connect();
  }

  connect() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/task/service`;
    const socket = new WebSocket(url);
    this.socket = socket;
    this.ready = new Promise((resolve, reject) => {
      socket.addEventListener('open', async () => {
        try {
          await this.send('auth', { auth: this.credential, clientName: 'PipelineHost dashboard' });
          this.onState('live');
          resolve();
          this.onOpen();
        } catch (error) {
          this.onState('denied');
          reject(error);
        }
      });
      socket.addEventListener('error', () => reject(new ApiError('The WebSocket could not connect')));
    });
    this.ready.catch(() => {});
    socket.addEventListener('message', (e) => this.receive(e.data));
    socket.addEventListener('close', () => {
      for (const { reject } of this.pending.values()) reject(new ApiError('The connection closed'));
      this.pending.clear();
      if (!this.closed) {
        this.onState('reconnecting');
        setTimeout(() => !this.closed && this.connect(), 2000);
      }
    });
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === 'response') {
      const waiter = this.pending.get(message.request_seq);
      if (!waiter) return;
      this.pending.delete(message.request_seq);
      if (message.success) waiter.resolve(message.body ?? {});
      else waiter.reject(new ApiError(message.message ?? 'Failed'));
    } else if (message.type === 'event') {
      this.onEvent(message);
    }
  }

  send(command, args = {}) {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.socket.send(JSON.stringify({ type: 'request', seq, command, arguments: args }));
    });
  }

  /** Sends a request once the connection is authenticated. */
  async request(command, args = {}) {
    await this.ready;
    return this.send(command, args);
  }

  close() {
    this.closed = true;
    this.socket?.close();
  }
}
