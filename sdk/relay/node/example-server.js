// The example site backend: static files plus the relay at /sessiondx/events. The browser test
// (tests/sdk/browser.test.js) serves its test site with it.
//   SESSIONDX_URL=http://127.0.0.1:8080 SESSIONDX_WEBHOOK_SECRET=whsec_... node example-server.js ./public 3000
'use strict';
const path = require('node:path');
const express = require('express');
const { sessiondxRelay } = require('./relay');

function createApp({ site, sessiondxUrl, secret, context, onForward, setup }) {
  const app = express();
  const relay = sessiondxRelay({ url: sessiondxUrl, secret, context: context || { region: 'eu-west' }, onForward });
  app.post('/sessiondx/events', relay.middleware);
  app.get('/sessiondx-collector.js', (req, res) => res.sendFile(path.join(__dirname, '../../browser/dist/sessiondx-collector.js')));
  if (setup) setup(app, relay);
  app.use(express.static(site, { extensions: ['html'] }));
  return { app, relay };
}

if (require.main === module) {
  const [site = path.join(__dirname, 'public'), port = '3000'] = process.argv.slice(2);
  const { app } = createApp({
    site,
    sessiondxUrl: process.env.SESSIONDX_URL || 'http://127.0.0.1:8080',
    secret: process.env.SESSIONDX_WEBHOOK_SECRET,
  });
  app.listen(+port, '127.0.0.1', () => console.log(`site on http://127.0.0.1:${port}/`));
}

module.exports = { createApp };
