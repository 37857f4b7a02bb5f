<?php
// sessiondx relay for plain PHP 8.2 (no extension beyond the defaults; allow_url_fopen on).
// Receives the browser collector's batches, adds server-side context (never the client's IP
// address), signs them with Standard Webhooks and forwards them to sessiondx.
//
//   // public/sessiondx/events.php (or your router's POST /sessiondx/events):
//   require __DIR__ . '/../../sessiondx_relay.php';
//   sessiondx_relay_handle('http://sessiondx.internal:8080', getenv('SESSIONDX_WEBHOOK_SECRET'), ['region' => 'eu-west']);
//
//   // the backend's own events:
//   sessiondx_backend_error($url, $secret, sessiondx_session_id(), 'payments', $e->getMessage(), $traceId);
declare(strict_types=1);

const SESSIONDX_SESSION_ID = '/^[A-Za-z0-9_-]{8,64}$/';

function sessiondx_sign(string $secret, string $msgId, int $timestamp, string $body): string
{
    $key = base64_decode(preg_replace('/^whsec_/', '', $secret), true);
    if ($key === false) {
        throw new InvalidArgumentException('secret must be whsec_<base64>');
    }
    return 'v1,' . base64_encode(hash_hmac('sha256', "$msgId.$timestamp.$body", $key, true));
}

/** Signs and posts events; returns [status, answer array, headers]. */
function sessiondx_forward(string $url, string $secret, array $events, array $context = []): array
{
    // Events stay objects (json_decode without assoc), so an empty {} is not re-encoded as [].
    foreach ($events as &$e) {
        $e = (object)$e;
        $own = isset($e->context) && (is_array($e->context) || is_object($e->context)) ? (array)$e->context : [];
        $e->context = (object)array_merge($own, $context);
    }
    unset($e);
    $body = json_encode($events, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
    $msgId = 'msg_' . substr(hash('sha256', implode(',', array_map(fn ($e) => is_scalar($e->id ?? null) ? (string)$e->id : '', $events))), 0, 32);
    $ts = time();
    $http = stream_context_create(['http' => [
        'method' => 'POST',
        'header' => "content-type: application/json\r\n"
            . "webhook-id: $msgId\r\nwebhook-timestamp: $ts\r\n"
            . 'webhook-signature: ' . sessiondx_sign($secret, $msgId, $ts, $body) . "\r\n",
        'content' => $body,
        'timeout' => 10,
        'ignore_errors' => true, // read the answer of a 4xx/5xx too
    ]]);
    $raw = @file_get_contents(rtrim($url, '/') . '/v1/events', false, $http);
    if ($raw === false) {
        return [0, ['error' => 'sessiondx unreachable'], []];
    }
    $headers = function_exists('http_get_last_response_headers') ? http_get_last_response_headers() : $http_response_header;
    preg_match('{HTTP/\S+ (\d{3})}', $headers[0] ?? '', $m);
    $answer = json_decode($raw, true);
    return [(int)($m[1] ?? 0), is_array($answer) ? $answer : [], $headers];
}

/** The session id from the collector's cookie, '' when there is none. */
function sessiondx_session_id(string $cookieName = 'sdx_sid'): string
{
    $id = (string)($_COOKIE[$cookieName] ?? '');
    return preg_match(SESSIONDX_SESSION_ID, $id) ? $id : '';
}

/** The whole endpoint: reads the browser's batch, forwards it, answers the browser. */
function sessiondx_relay_handle(string $url, string $secret, array $context = [], int $maxEvents = 500, int $maxBytes = 1048576): void
{
    header('content-type: application/json');
    $raw = file_get_contents('php://input', false, null, 0, $maxBytes + 1);
    $events = strlen((string)$raw) <= $maxBytes ? json_decode((string)$raw) : null;
    if (!is_array($events) || !array_is_list($events) || count($events) === 0 || count($events) > $maxEvents) {
        http_response_code(400);
        echo json_encode(['error' => "expected a JSON array of 1-$maxEvents events"]);
        return;
    }
    $good = array_values(array_filter($events, fn ($e) => is_object($e) && is_string($e->session_id ?? null) && preg_match(SESSIONDX_SESSION_ID, $e->session_id)));
    if (!$good) {
        http_response_code(400);
        echo json_encode(['error' => 'no event with a valid session_id']);
        return;
    }
    [$status, $answer] = sessiondx_forward($url, $secret, $good, $context);
    if ($status === 0 || $status === 429 || $status >= 500) {
        http_response_code(503); // the collector retries with backoff
        echo json_encode(['error' => 'sessiondx unavailable', 'status' => $status]);
        return;
    }
    http_response_code($status === 200 ? 200 : 502);
    echo json_encode($answer);
}

function sessiondx_backend_error(string $url, string $secret, string $sessionId, string $service, string $message, string $traceId = '', array $context = []): array
{
    $attrs = ['service' => $service];
    if ($traceId !== '') {
        $attrs['trace_id'] = $traceId;
    }
    $event = [
        'id' => 'srv_' . bin2hex(random_bytes(16)),
        'session_id' => $sessionId,
        'ts' => (int)floor(microtime(true) * 1000),
        'type' => 'backend_error',
        'severity' => 'error',
        'message' => $message,
        'attrs' => $attrs,
    ];
    return sessiondx_forward($url, $secret, [$event], $context);
}
