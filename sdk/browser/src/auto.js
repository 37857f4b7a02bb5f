// The script-tag build: <script src="sessiondx-collector.js" data-endpoint="/sessiondx/events"
// data-app-version="4.12.0"></script> starts the collector and exposes window.sessiondx.
import { api, init } from './collector.js';

const s = document.currentScript;
const d = (s && s.dataset) || {};
const opts = {};
if (d.endpoint) opts.endpoint = d.endpoint;
if (d.appVersion) opts.appVersion = d.appVersion;
if (d.routes) opts.routes = d.routes.split(',').map((r) => r.trim()).filter(Boolean);
if (d.allowQuery === 'true') opts.allowQuery = true;
if (d.cookieName) opts.cookieName = d.cookieName;
window.sessiondx = api;
if (d.manual !== 'true') init(Object.assign(opts, window.sessiondxConfig || {}));
