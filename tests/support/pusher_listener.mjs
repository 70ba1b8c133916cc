// A real dashboard stand-in: the official pusher-js Node client, driven over stdio.
//
//   node pusher_listener.mjs --host 127.0.0.1 --port 6001 --key KEY
//        [--auth-endpoint URL] [--token BEARER] [--origin ORIGIN] channel ...
//
// stdout: one JSON object per line, each with received_at_ms (Date.now()):
//   {"kind":"event","channel":..,"event":..,"data":..}    every event on a subscribed channel
//                                                         (pusher:subscription_succeeded/_error too)
//   {"kind":"state","previous":..,"current":..,"socket_id":..}   connection state changes
//   {"kind":"error","error":..}                           connection errors
//   {"kind":"sent","ok":bool,"request":..}                answer to each stdin line
// stdin: one JSON object per line:
//   {"channel":C,"event":"client-x","data":D}   trigger a client event on a subscribed channel
//   {"subscribe":C} / {"unsubscribe":C}
//   {"raw":"text"}                              write a raw frame on the socket (fault injection)
// The process exits when stdin closes (so a dead test never leaves it behind).
import { createRequire } from 'node:module';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const Pusher = require('pusher-js');

function parseArgs(argv) {
  const opts = { channels: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      opts[a.slice(2)] = argv[++i];
    } else {
      opts.channels.push(a);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const emit = (obj) => process.stdout.write(JSON.stringify({ ...obj, received_at_ms: Date.now() }) + '\n');

const config = {
  wsHost: opts.host || '127.0.0.1',
  wsPort: Number(opts.port || 6001),
  forceTLS: false,
  enabledTransports: ['ws'],
  disableStats: true,
  cluster: 'local',
};
if (opts['activity-timeout']) config.activityTimeout = Number(opts['activity-timeout']);
if (opts['auth-endpoint']) {
  const headers = {};
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  config.channelAuthorization = { endpoint: opts['auth-endpoint'], transport: 'ajax', headers };
}

const pusher = new Pusher(opts.key, config);
pusher.connection.bind('state_change', (s) =>
  emit({ kind: 'state', previous: s.previous, current: s.current, socket_id: pusher.connection.socket_id || null }));
pusher.connection.bind('error', (err) => emit({ kind: 'error', error: serialiseError(err) }));

function serialiseError(err) {
  try {
    return JSON.parse(JSON.stringify(err, Object.getOwnPropertyNames(err || {})));
  } catch (e) {
    return String(err);
  }
}

function subscribe(name) {
  const channel = pusher.subscribe(name);
  channel.bind_global((event, data) => emit({ kind: 'event', channel: name, event, data }));
  return channel;
}
opts.channels.forEach(subscribe);

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    emit({ kind: 'sent', ok: false, error: 'stdin line is not JSON' });
    return;
  }
  let ok = false;
  try {
    if (req.subscribe) {
      subscribe(req.subscribe);
      ok = true;
    } else if (req.unsubscribe) {
      pusher.unsubscribe(req.unsubscribe);
      ok = true;
    } else if (req.raw !== undefined) {
      ok = Boolean(pusher.connection.connection && pusher.connection.connection.send(req.raw));
    } else {
      const channel = pusher.channel(req.channel);
      ok = Boolean(channel && channel.trigger(req.event, req.data));
    }
  } catch (e) {
    emit({ kind: 'sent', ok: false, request: req, error: String(e) });
    return;
  }
  emit({ kind: 'sent', ok, request: req });
});
rl.on('close', () => {
  pusher.disconnect();
  setTimeout(() => process.exit(0), 50);
});
