'use strict';
// The peer of scripts/bench-peer.sh: the webhook receiver a Node team would write instead of
// sessiondx, written the way the libraries' own documentation suggests. Express 4, the reference
// Standard Webhooks library, better-sqlite3 in WAL mode with synchronous=NORMAL, a UNIQUE event
// id and one (session_id, ts) index; one transaction per request, 200 only after the commit.
//
//   SESSIONDX_WEBHOOK_SECRET=whsec_... node server.js --port 18481 --db /tmp/peer.db

const express = require('express');
const Database = require('better-sqlite3');
const { Webhook } = require('standardwebhooks');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg('port', '18481'));
const secret = process.env.SESSIONDX_WEBHOOK_SECRET;
if (!secret) {
  console.error('peer: SESSIONDX_WEBHOOK_SECRET is required');
  process.exit(2);
}
const webhook = new Webhook(secret);

const db = new Database(arg('db', 'peer.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`
  CREATE TABLE IF NOT EXISTS events (
    id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    type TEXT NOT NULL,
    ts INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    message TEXT,
    attrs TEXT,
    context TEXT
  );
  CREATE INDEX IF NOT EXISTS events_session_ts ON events (session_id, ts);
`);

const insert = db.prepare(`INSERT OR IGNORE INTO events
  (id, session_id, type, ts, received_ms, message, attrs, context)
  VALUES (@id, @session_id, @type, @ts, @received_ms, @message, @attrs, @context)`);

// Returns the number of rows inserted; duplicates (same id) are ignored.
const insertAll = db.transaction((rows) => {
  let inserted = 0;
  for (const row of rows) inserted += insert.run(row).changes;
  return inserted;
});

function validate(event, index) {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return `event ${index}: not an object`;
  }
  for (const field of ['id', 'session_id', 'type']) {
    if (typeof event[field] !== 'string' || event[field].length === 0) {
      return `event ${index}: ${field} must be a non-empty string`;
    }
  }
  if (!Number.isSafeInteger(event.ts)) return `event ${index}: ts must be an integer`;
  return null;
}

const app = express();
app.disable('x-powered-by');
app.get('/healthz', (req, res) => res.type('text/plain').send('ok\n'));
app.post('/v1/events', express.raw({ type: () => true, limit: '5mb' }), (req, res) => {
  const body = req.body.toString('utf8');
  try {
    webhook.verify(body, req.headers);
  } catch (e) {
    return res.status(401).json({ error: 'bad signature' });
  }
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    return res.status(400).json({ error: `body is not JSON: ${e.message}` });
  }
  const events = Array.isArray(parsed) ? parsed : [parsed];
  const now = Date.now();
  const rows = [];
  const rejected = [];
  events.forEach((event, index) => {
    const error = validate(event, index);
    if (error) return rejected.push({ index, error });
    rows.push({
      id: event.id,
      session_id: event.session_id,
      type: event.type,
      ts: event.ts,
      received_ms: now,
      message: typeof event.message === 'string' ? event.message : null,
      attrs: event.attrs === undefined ? null : JSON.stringify(event.attrs),
      context: event.context === undefined ? null : JSON.stringify(event.context),
    });
  });
  let inserted;
  try {
    inserted = insertAll(rows);
  } catch (e) {
    return res.status(503).json({ error: `store: ${e.message}` });
  }
  res.json({ accepted: inserted, duplicates: rows.length - inserted, rejected });
});

const server = app.listen(port, '127.0.0.1', () => {
  console.error(`peer: listening on http://127.0.0.1:${port}/v1/events`);
});
server.keepAliveTimeout = 65000;
function stop() {
  server.close(() => {
    db.close();
    process.exit(0);
  });
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
