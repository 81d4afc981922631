// The Express 4 upstream of the gateway's end-to-end tests
// (upstreams_test.go). It routes as Express applications do by default:
// paths match case-insensitively, and method-override lets a header turn
// a POST into another method. Every handler answers which handler ran,
// the method it ran for and the identity headers it received, so that a
// test can tell what the application executed, not what the gateway
// meant to allow.
//
// It listens on 127.0.0.1, on the port of its first argument (0 picks a
// free one), and prints "listening PORT" once it accepts connections.
'use strict';

const express = require('express');
const methodOverride = require('method-override');

const app = express();
app.disable('x-powered-by');
// Behind the gateway (or nginx) on loopback, as applications behind a
// proxy are set up: req.hostname is X-Forwarded-Host when the proxy sent
// one.
app.set('trust proxy', 'loopback');

// Each of the headers that frameworks honour; method-override applies
// them to POST requests only (its default).
for (const h of ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override']) {
  app.use(methodOverride(h));
}

function answer(handler) {
  return (req, res) => {
    const identity = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (k.startsWith('x-auth-')) identity[k] = v;
    }
    res.json({
      upstream: 'express',
      handler: handler,
      method: req.method,
      original_method: req.originalMethod,
      path: req.path,
      url: req.originalUrl,
      host: req.hostname || '',
      identity: identity,
    });
  };
}

// A virtual host as DNS names it: letter case and one trailing dot do
// not change the name (RFC 4343, RFC 1034 section 3.1).
app.use((req, res, next) => {
  const host = (req.hostname || '').replace(/\.$/, '').toLowerCase();
  if (host === 'admin.example.com') return answer('admin-host')(req, res);
  next();
});

app.all('/admin/*', answer('admin'));
app.post('/orders/*', answer('orders'));
app.delete('/orders/*', answer('orders'));
app.all('/public/*', answer('public'));
app.all('*', answer('root'));

const server = app.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write('listening ' + server.address().port + '\n');
});

// The test stops the process with SIGTERM; idle keep-alive connections
// (from the gateway or nginx) must not hold it open.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
