#!/usr/bin/env python3
"""Validates the event examples in docs/events.md against docs/event.schema.json.

Every ```json block is an event or an array of events, and every line of a ```ndjson block is
an event, unless the block is preceded by the line `<!-- not-an-event -->` (response bodies, the
signing example). Also checks that every core type has an example and that the schema rejects a
few deliberately invalid events, so that this test can fail.

Usage: validate_examples.py [path/to/docs]   (default: docs/ next to this tests/ folder)
Exit status 0 when everything holds, 1 otherwise.
"""

import json
import pathlib
import re
import sys

try:
    import jsonschema
except ImportError:
    print("validate_examples: python3-jsonschema is not installed (apt-get install python3-jsonschema)")
    sys.exit(1)

MARKER = "<!-- not-an-event -->"
CORE_TYPES = {
    "session_start", "page_view", "web_vital", "http_request", "resource_error", "js_error",
    "long_task", "click", "rage_click", "dead_click", "ui_message", "backend_error", "session_end",
}

VALID_BASE = {"id": "e1", "session_id": "abcd1234efgh5678", "ts": 1714557753123, "type": "click"}

# (description, event) pairs the schema must reject.
INVALID = [
    ("missing id", {k: v for k, v in VALID_BASE.items() if k != "id"}),
    ("missing session_id", {k: v for k, v in VALID_BASE.items() if k != "session_id"}),
    ("missing ts", {k: v for k, v in VALID_BASE.items() if k != "ts"}),
    ("missing type", {k: v for k, v in VALID_BASE.items() if k != "type"}),
    ("empty id", {**VALID_BASE, "id": ""}),
    ("id with a space", {**VALID_BASE, "id": "a b"}),
    ("id longer than 128 bytes", {**VALID_BASE, "id": "x" * 129}),
    ("session_id too short", {**VALID_BASE, "session_id": "short"}),
    ("ts in seconds", {**VALID_BASE, "ts": 1714557753}),
    ("ts without time zone", {**VALID_BASE, "ts": "2024-05-01T10:02:33"}),
    ("ts with month 13", {**VALID_BASE, "ts": "2024-13-01T10:02:33Z"}),
    ("ts as a float", {**VALID_BASE, "ts": 1714557753123.5}),
    ("unknown severity", {**VALID_BASE, "severity": "fatal"}),
    ("attrs as an array", {**VALID_BASE, "attrs": []}),
    ("context.browser as a number", {**VALID_BASE, "context": {"browser": 125}}),
    ("message as a number", {**VALID_BASE, "message": 5}),
    ("web_vital with an unknown name",
     {**VALID_BASE, "type": "web_vital", "attrs": {"name": "FID", "value": 3}}),
    ("http_request without route or url",
     {**VALID_BASE, "type": "http_request", "attrs": {"status": 500}}),
    ("http_request with status 700",
     {**VALID_BASE, "type": "http_request", "attrs": {"url": "/a", "status": 700}}),
    ("resource_error without url", {**VALID_BASE, "type": "resource_error", "attrs": {}}),
    ("js_error without any message", {**VALID_BASE, "type": "js_error", "attrs": {"stack": "x"}}),
    ("backend_error without service",
     {**VALID_BASE, "type": "backend_error", "message": "boom", "attrs": {}}),
    ("long_task with a negative duration",
     {**VALID_BASE, "type": "long_task", "attrs": {"duration_ms": -1}}),
]


def blocks(markdown):
    """Yields (line number, language, text) of every fenced block not marked as not-an-event."""
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w+)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        k = start - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        marked = k >= 0 and lines[k].strip() == MARKER
        if not marked and m.group(1) in ("json", "ndjson"):
            yield start + 1, m.group(1), "\n".join(lines[start + 1:j])
        i = j + 1


def events_of(lang, text):
    if lang == "ndjson":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    value = json.loads(text)
    return value if isinstance(value, list) else [value]


def main():
    here = pathlib.Path(__file__).resolve().parent
    docs = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent.parent / "docs"
    schema = json.loads((docs / "event.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    failures = []
    seen_types = set()
    count = 0
    for line, lang, text in blocks((docs / "events.md").read_text(encoding="utf-8")):
        try:
            events = events_of(lang, text)
        except json.JSONDecodeError as e:
            failures.append(f"events.md:{line}: ```{lang} block is not valid JSON: {e}")
            continue
        if not events:
            failures.append(f"events.md:{line}: ```{lang} block holds no event")
        for n, event in enumerate(events):
            count += 1
            where = f"events.md:{line}" + (f" (event {n})" if len(events) > 1 else "")
            for error in validator.iter_errors(event):
                path = "/".join(str(p) for p in error.absolute_path) or "(event)"
                failures.append(f"{where}: {path}: {error.message}")
            if isinstance(event, dict):
                seen_types.add(event.get("type"))

    missing = CORE_TYPES - seen_types
    if missing:
        failures.append("events.md: no example of core type(s) " + ", ".join(sorted(missing)))

    for name, event in INVALID:
        if validator.is_valid(event):
            failures.append(f"schema accepts an invalid event ({name}): {json.dumps(event)}")
    if not validator.is_valid(VALID_BASE):
        failures.append("schema rejects the minimal valid event " + json.dumps(VALID_BASE))

    if failures:
        print("validate_examples: FAILED")
        for f in failures:
            print("  " + f)
        return 1
    print(f"validate_examples: {count} documented events valid, "
          f"{len(INVALID)} invalid events rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
