'use strict';
/**
 * A small client for wsbridge's app socket (protocol v1) for Node.js 18+, built-in modules only.
 *
 * An app attaches to the running daemon over its Unix socket, says which WebSocket paths it serves,
 * then receives events (connect, message, closed, deliver, shutdown) and sends requests (accept,
 * reject, register, unregister, publish, send, close, ping). Each frame is a 4-byte big-endian length
 * and one UTF-8 JSON object; docs/protocol.md is the specification.
 *
 *   const { connect } = require('./wsbridge-client');
 *   const app = await connect({ socket: '/run/wsbridge/app.sock', name: 'chat', paths: ['/ws'] });
 *   app.on('connect', async (ev) => { await app.accept(ev.conn, 'alice'); });
 *   app.on('message', async (ev) => { await app.publish(ev.data, { all: true }); });
 *
 * Every request method returns a promise of its reply: it resolves with the `ok` (or `pong`) event
 * and rejects with a WSBridgeError (`code`, `detail`) when the daemon answers `error`, or with a
 * WSBridgeConnectionError when the link is lost or no reply comes within `timeout` ms.
 *
 * Events: the client is an EventEmitter. Each event is emitted under its type ('connect',
 * 'message', 'closed', 'deliver', 'shutdown', and any newer type) and under 'event'; 'end' is
 * emitted once, with a reason string, when the link to the daemon closes. Alternatively, iterate
 * `for await (const ev of app.events())`.
 */

const net = require('net');
const { EventEmitter } = require('events');

const PROTOCOL_VERSION = 1;
/** Largest event frame accepted from the daemon (events may exceed max_frame_bytes; see the spec). */
const MAX_EVENT_BYTES = 64 * 1024 * 1024;
const REPLY_TYPES = new Set(['welcome', 'ok', 'error', 'pong', 'presence']);

/** The daemon answered a request with an `error` event. `code` is the stable code from the spec. */
class WSBridgeError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.name = 'WSBridgeError';
    this.code = code;
    this.detail = message;
  }
}

/** The app socket could not be reached, or the link was lost before a reply arrived. */
class WSBridgeConnectionError extends Error {
  constructor(message, cause) {
    super(message);
    this.name = 'WSBridgeConnectionError';
    if (cause) this.cause = cause;
  }
}

/** The payload of a `message` or `deliver` event: a string for text, a Buffer for binary. */
function eventData(event) {
  return event.binary ? Buffer.from(event.data || '', 'base64') : event.data;
}

function explainConnectError(path, error) {
  switch (error.code) {
    case 'ENOENT':
      return `wsbridge app socket ${JSON.stringify(path)} does not exist: is \`wsbridge serve --app-socket ${path}\` running (and is this the path it was given)?`;
    case 'ECONNREFUSED':
      return `nothing is listening on ${JSON.stringify(path)}: the socket file is there but wsbridge is not running (a stale socket from an earlier run?)`;
    case 'EACCES':
      return `permission denied opening ${JSON.stringify(path)}: run as a user allowed to use wsbridge's app socket`;
    default:
      return `cannot connect to wsbridge app socket ${JSON.stringify(path)}: ${error.message}`;
  }
}

class WSBridgeClient extends EventEmitter {
  /** Use connect() instead. */
  constructor(socket, { timeout = 10000 } = {}) {
    super();
    this.timeout = timeout;
    /** The daemon's `welcome` event (node, version, limits), once attached. */
    this.welcome = null;
    this._socket = socket;
    this._nextId = 1;
    this._pending = new Map(); // id -> { resolve, reject, timer, type }
    this._buffer = Buffer.alloc(0);
    this._closed = false;
    this._closeReason = 'the app socket was closed';
    this._queue = [];      // events waiting for an events() iterator
    this._waiters = [];    // iterators waiting for an event
    this._iterating = false;
    socket.on('data', (chunk) => this._onData(chunk));
    socket.on('error', (error) => this._end(`the app socket failed: ${error.message}`));
    socket.on('close', () => this._end('the wsbridge daemon closed the app socket'));
  }

  /** Answers a `connect`: the connection belongs to `user`; the upgrade completes. */
  accept(conn, user) { return this._request({ type: 'accept', conn, user }); }

  /** Answers a `connect` with HTTP `status` (400-599) and `reason` as the body. */
  reject(conn, status = 403, reason = '') { return this._request({ type: 'reject', conn, status, reason }); }

  /** Receives every message published for `user` as `deliver` events tagged `session`. */
  register(session, user) { return this._request({ type: 'register', session, user }); }

  /** Stops the deliveries of a registered session. */
  unregister(session) { return this._request({ type: 'unregister', session }); }

  /**
   * Publishes `data` to every session of one target on every host. Give exactly one of
   * `{ user }`, `{ users: [...] }` or `{ all: true }`. A string is text, a Buffer is binary, any other
   * value is sent as its JSON text. Resolves once the broker took the message. With `receipt: true`
   * it resolves once the hosts holding the users reported (at most `receipt_window` later), and the
   * reply's `receipt` says what it reached: `sessions`, `hosts`, `unknown_hosts`, `users`, `offline`.
   */
  publish(data, { user, users, all = false, binary = false, receipt = false } = {}) {
    const targets = (user !== undefined) + (users !== undefined) + (all ? 1 : 0);
    if (targets !== 1) return Promise.reject(new TypeError('publish needs exactly one of user, users or all: true'));
    const request = { type: 'publish' };
    if (user !== undefined) request.user = user;
    else if (users !== undefined) request.users = Array.from(users);
    else request.all = true;
    if (receipt) request.receipt = true;
    return this._request(Object.assign(request, WSBridgeClient._data(data, binary)));
  }

  /**
   * Who holds each user, across every host: resolves with `{ user: { sessions, hosts } }` (one round
   * trip to Redis for the whole batch; integer user ids come back as their decimal text).
   */
  presence(users) {
    return this._request({ type: 'presence', users: Array.from(users) }).then((reply) => reply.users);
  }

  /** Sends `data` to one connection this app accepted (same data rules as publish). */
  send(conn, data, { binary = false } = {}) {
    return this._request(Object.assign({ type: 'send', conn }, WSBridgeClient._data(data, binary)));
  }

  /**
   * Closes one client connection this app accepted with WebSocket `code` (1000 or 3000-4999).
   * To detach the app itself, use end().
   */
  close(conn, code = 1000, reason = '') { return this._request({ type: 'close', conn, code, reason }); }

  /** Round trip to the daemon; when it resolves, every earlier request has been handled. */
  ping() { return this._request({ type: 'ping' }); }

  /** Detaches from the daemon; everything this app registered there is cleaned up by it. */
  end() {
    this._end('the app disconnected');
    // Flush what was written, then let go of the socket (the daemon sees the detach either way).
    this._socket.end(() => this._socket.destroy());
  }

  /** True until the link to the daemon is gone. */
  get connected() { return !this._closed; }

  /** An async iterator over events, ending when the link closes. */
  events() {
    this._iterating = true;
    const self = this;
    return {
      [Symbol.asyncIterator]() { return this; },
      next() {
        if (self._queue.length) return Promise.resolve({ value: self._queue.shift(), done: false });
        if (self._closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => self._waiters.push(resolve));
      },
      return() { self._iterating = false; return Promise.resolve({ value: undefined, done: true }); },
    };
  }

  static _data(data, binary) {
    if (Buffer.isBuffer(data) || data instanceof Uint8Array) {
      return { data: Buffer.from(data).toString('base64'), binary: true };
    }
    if (binary) {
      if (typeof data !== 'string') throw new TypeError('binary: true needs a Buffer, or a base64 string');
      return { data, binary: true };
    }
    return { data };
  }

  _request(fields) {
    if (this._closed) return Promise.reject(new WSBridgeConnectionError(this._closeReason));
    const id = this._nextId++;
    const { type, ...rest } = fields;
    const body = Buffer.from(JSON.stringify({ type, id, ...rest }), 'utf8');
    const limit = this.welcome && this.welcome.limits && this.welcome.limits.max_frame_bytes;
    if (limit && body.length > limit) {
      return Promise.reject(new WSBridgeError('frame_too_large',
        `a ${type} request of ${body.length} bytes exceeds the daemon's max_frame_bytes (${limit}); it was not sent`));
    }
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length, 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new WSBridgeConnectionError(`no reply to ${type} within ${this.timeout} ms`));
      }, this.timeout);
      this._pending.set(id, { resolve, reject, timer, type });
      this._socket.write(Buffer.concat([header, body]));
    });
  }

  _onData(chunk) {
    this._buffer = this._buffer.length ? Buffer.concat([this._buffer, chunk]) : chunk;
    while (this._buffer.length >= 4) {
      const length = this._buffer.readUInt32BE(0);
      if (length === 0 || length > MAX_EVENT_BYTES) {
        this._end(`the daemon sent a frame length of ${length}; the stream cannot be trusted`);
        this._socket.destroy();
        return;
      }
      if (this._buffer.length < 4 + length) return;
      const body = this._buffer.subarray(4, 4 + length);
      this._buffer = this._buffer.subarray(4 + length);
      let event;
      try {
        event = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
      } catch (error) {
        this._end(`the daemon sent a frame that is not UTF-8 JSON: ${error.message}`);
        this._socket.destroy();
        return;
      }
      if (event !== null && typeof event === 'object' && !Array.isArray(event)) this._handle(event);
    }
  }

  _handle(event) {
    if (!REPLY_TYPES.has(event.type)) {
      this._dispatch(event);
      return;
    }
    let id = event.id;
    if (id === undefined && event.type === 'error' && this._pending.size) {
      // An error about a frame whose id could not be read answers the oldest waiting request,
      // since replies come in request order (Map keeps insertion order).
      id = this._pending.keys().next().value;
    }
    const pending = this._pending.get(id);
    if (!pending) return; // a late reply to a request that timed out
    this._pending.delete(id);
    clearTimeout(pending.timer);
    if (event.type === 'error') pending.reject(new WSBridgeError(String(event.code || 'internal'), String(event.message || '')));
    else pending.resolve(event);
  }

  _dispatch(event) {
    if (this._iterating) {
      const waiter = this._waiters.shift();
      if (waiter) waiter({ value: event, done: false });
      else this._queue.push(event);
    }
    // A throwing listener must not break the stream of frames; report it and go on.
    for (const name of [event.type, 'event']) {
      try {
        if (name !== 'error' && name !== 'end') this.emit(name, event);
      } catch (error) {
        process.emitWarning(`wsbridge-client: a '${name}' listener threw: ${error && error.stack || error}`);
      }
    }
  }

  _end(reason) {
    if (this._closed) return;
    this._closed = true;
    this._closeReason = reason;
    for (const pending of this._pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new WSBridgeConnectionError(reason));
    }
    this._pending.clear();
    for (const waiter of this._waiters.splice(0)) waiter({ value: undefined, done: true });
    this.emit('end', reason);
  }
}

/**
 * Attaches to wsbridge and performs the hello/welcome exchange.
 * Options: `socket` (the app socket path), `name` (the app's name in logs and `wsbridge status`),
 * `paths` (WebSocket paths served, e.g. ['/ws']; [] for a publish-only app), `timeout` (ms per reply),
 * `presenceEvents` (also get `online` and `offline` events).
 * Resolves with a WSBridgeClient; rejects with a WSBridgeConnectionError that says what is wrong if
 * the socket is missing or nobody listens on it, or a WSBridgeError if the daemon refuses the hello.
 */
function connect({ socket: path, name, paths = [], timeout = 10000, presenceEvents = false } = {}) {
  if (!path) return Promise.reject(new TypeError('connect needs { socket: PATH }'));
  if (!name) return Promise.reject(new TypeError('connect needs { name }'));
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new WSBridgeConnectionError(`timed out connecting to ${JSON.stringify(path)}`));
    }, timeout);
    const onError = (error) => {
      clearTimeout(timer);
      reject(new WSBridgeConnectionError(explainConnectError(path, error), error));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      const client = new WSBridgeClient(socket, { timeout });
      const hello = { type: 'hello', protocol: PROTOCOL_VERSION, name, paths: Array.from(paths) };
      if (presenceEvents) hello.presence_events = true;
      client._request(hello)
        .then((welcome) => { client.welcome = welcome; resolve(client); })
        .catch((error) => { client.end(); reject(error); });
    });
  });
}

module.exports = { connect, eventData, WSBridgeClient, WSBridgeError, WSBridgeConnectionError, PROTOCOL_VERSION };
