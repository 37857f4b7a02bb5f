<?php
// Example endpoint: php -S 127.0.0.1:8000 -t sdk/relay/php, then POST /events.php
require __DIR__ . '/sessiondx_relay.php';
sessiondx_relay_handle(
    getenv('SESSIONDX_URL') ?: 'http://127.0.0.1:8080',
    (string)getenv('SESSIONDX_WEBHOOK_SECRET'),
    ['region' => getenv('SESSIONDX_REGION') ?: 'eu-west'],
);
