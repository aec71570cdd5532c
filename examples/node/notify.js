#!/usr/bin/env node
'use strict';
/**
 * Publishes one message through wsbridge, as a publisher-only app (it serves no WebSocket paths).
 *
 *   node examples/node/notify.js --socket /tmp/wsbridge-app.sock --user bob hello
 *   node examples/node/notify.js --socket PATH --users alice,bob --json '{"text":"hi"}'
 *   node examples/node/notify.js --socket PATH --all "maintenance at 5"
 *   node examples/node/notify.js --socket PATH --receipt --user bob hello    (says whether bob got it)
 *
 * Prints the daemon's `ok` and exits 0; on an error prints it to stderr and exits 1 (2 for usage).
 * The socket defaults to $WSBRIDGE_APP_SOCKET, else wsbridge-app.sock (wsbridge's own default).
 */

const path = require('path');
const { parseArgs } = require('util');
const { connect } = require(path.join(__dirname, 'wsbridge-client.js'));

const USAGE = 'usage: notify.js [--socket PATH] (--user ID | --users A,B | --all) [--json] [--receipt] [--name NAME] DATA...';

function usage(message) {
  process.stderr.write(`notify: ${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        socket: { type: 'string', default: process.env.WSBRIDGE_APP_SOCKET || 'wsbridge-app.sock' },
        user: { type: 'string' },
        users: { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        receipt: { type: 'boolean', default: false },
        name: { type: 'string', default: 'notify' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    usage(error.message);
  }
  const { values: options, positionals } = parsed;
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const targets = [options.user !== undefined, options.users !== undefined, options.all].filter(Boolean).length;
  if (targets !== 1) usage('give exactly one of --user, --users or --all');
  if (positionals.length === 0) usage('no DATA to publish');
  const text = positionals.join(' ');
  let data = text;
  if (options.json) {
    try {
      data = JSON.parse(text);
    } catch (error) {
      usage(`--json: DATA is not valid JSON: ${error.message}`);
    }
  }
  const target = options.user !== undefined ? { user: options.user }
    : options.users !== undefined ? { users: options.users.split(',').filter(Boolean) }
      : { all: true };

  const app = await connect({ socket: options.socket, name: options.name, paths: [] });
  try {
    const ok = await app.publish(data, Object.assign({ receipt: options.receipt }, target));
    const to = target.user !== undefined ? `user ${target.user}` : target.users ? `users ${target.users.join(',')}` : 'everyone';
    process.stdout.write(`${JSON.stringify(ok)} published to ${to} via wsbridge node ${app.welcome.node}\n`);
    if (ok.receipt) {
      const { sessions, hosts, offline } = ok.receipt;
      process.stdout.write(`reached ${sessions} session(s) on ${hosts} host(s)`
        + (offline.length ? `; offline: ${offline.join(', ')}` : '') + '\n');
    }
  } finally {
    app.end();
  }
  return 0;
}

main().then((code) => { process.exitCode = code; }, (error) => {
  process.stderr.write(`notify: ${error.message}\n`);
  process.exitCode = 1;
});
