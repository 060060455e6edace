#!/usr/bin/env python3
"""server.py - a scripted LLM server for tinyforge's tests (Python 3 stdlib only).

Speaks the OpenAI-compatible chat API (POST /v1/chat/completions) and Ollama's native
chat API (POST /api/chat) on 127.0.0.1, on a free port that it prints as the first line
of stdout. Each request is checked against the API's shape and answered from a script:
a JSON file {"steps": [STEP, ...]} whose steps are used in order, one per request.

A STEP is an object with (all optional):
  "content": "text"       the reply's text (default "ok")
  "usage": [IN, OUT]      token counts to report; null: the reply has no usage
  "repeat": N             use this step for the next N requests (default 1)
  "api": "openai"|"ollama" the API the request must use
  "expect": {...}         fields the request body must have with these values
                          ("auth": true/false checks for an Authorization header)
  "fault": one of
     "status"           answer with HTTP "status" (and "retry_after": "S" if given)
     "cut"              a complete HTTP response whose JSON body is cut in half
     "partial"          promise more bytes (Content-Length) than sent, then close
     "stall"            wait "seconds" (default 5) before answering normally
     "bad_utf8"         the reply's text holds an invalid UTF-8 sequence
     "empty_choices"    "choices": []
     "missing_choices"  a JSON object without "choices"
     "not_json"         HTTP 200 with an HTML body
     "reset"            close the connection with a TCP reset, no response
     "echo_auth"        HTTP 401 whose message repeats the Authorization header
                        (tests that the client scrubs the key from what it keeps)
     "echo_auth_ok"     HTTP 200 whose reply text repeats the Authorization header
                        (the key must be scrubbed from a successful reply too)

Every request is logged as one JSON line to the LOG file: its number, path, API, the
step used, whether an Authorization header came, the shape problems found, and the
body. The key itself is never logged. When the script is used up the server answers
500 and logs a problem. It exits on SIGTERM, or by itself after --max-seconds.

usage: server.py SCRIPT LOG [--max-seconds N]
"""

import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLES = {"system", "user", "assistant"}


def check_messages(body, problems):
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        problems.append("messages: expected a non-empty list")
        return
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or set(m) - {"role", "content"}:
            problems.append(f"messages[{i}]: expected {{role, content}}")
        elif m.get("role") not in ROLES:
            problems.append(f"messages[{i}].role: {m.get('role')!r}")
        elif not isinstance(m.get("content"), str):
            problems.append(f"messages[{i}].content: expected a string")


def check_openai(body, problems):
    known = {"model", "messages", "temperature", "max_tokens", "seed", "response_format",
             "stream"}
    for k in set(body) - known:
        problems.append(f"unknown field {k!r}")
    if not isinstance(body.get("model"), str) or not body.get("model"):
        problems.append("model: expected a non-empty string")
    check_messages(body, problems)
    if body.get("stream", False) is not False:
        problems.append("stream: must be false")
    t = body.get("temperature", 0)
    if not isinstance(t, (int, float)) or isinstance(t, bool) or not 0 <= t <= 2:
        problems.append("temperature: expected a number in [0, 2]")
    for k in ("max_tokens", "seed"):
        if k in body and (not isinstance(body[k], int) or isinstance(body[k], bool)):
            problems.append(f"{k}: expected an integer")
    rf = body.get("response_format")
    if rf is not None:
        if not isinstance(rf, dict) or rf.get("type") not in ("json_object", "json_schema", "text"):
            problems.append("response_format.type: expected json_object or json_schema")
        elif rf["type"] == "json_schema":
            js = rf.get("json_schema")
            if not isinstance(js, dict) or not isinstance(js.get("name"), str) \
                    or not isinstance(js.get("schema"), dict):
                problems.append("response_format.json_schema: expected {name, schema}")


def check_ollama(body, problems):
    known = {"model", "messages", "stream", "format", "options", "keep_alive"}
    for k in set(body) - known:
        problems.append(f"unknown field {k!r}")
    if not isinstance(body.get("model"), str) or not body.get("model"):
        problems.append("model: expected a non-empty string")
    check_messages(body, problems)
    if body.get("stream") is not False:
        problems.append("stream: must be false (or the reply is streamed)")
    fmt = body.get("format")
    if fmt is not None and fmt != "json" and not isinstance(fmt, dict):
        problems.append("format: expected \"json\" or a schema object")
    opts = body.get("options", {})
    if not isinstance(opts, dict):
        problems.append("options: expected an object")


def openai_reply(step, model, content):
    r = {"id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": model,
         "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                      "finish_reason": step.get("finish_reason", "stop")}]}
    usage = step.get("usage", [10, 2])
    if usage is not None:
        r["usage"] = {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                      "total_tokens": usage[0] + usage[1]}
    return r


def ollama_reply(step, model, content):
    r = {"model": model, "created_at": "2024-01-01T00:00:00Z",
         "message": {"role": "assistant", "content": content}, "done": True,
         "done_reason": step.get("finish_reason", "stop")}
    usage = step.get("usage", [10, 2])
    if usage is not None:
        r["prompt_eval_count"], r["eval_count"] = usage
    return r


class Script:
    def __init__(self, path, log_path):
        with open(path, encoding="utf-8") as f:
            steps = json.load(f)["steps"]
        self.queue = []
        for i, s in enumerate(steps):
            self.queue += [(i, s)] * int(s.get("repeat", 1))
        self.lock = threading.Lock()
        self.count = 0
        self.log = open(log_path, "a", encoding="utf-8")

    def next(self):
        with self.lock:
            self.count += 1
            n = self.count
            return n, (self.queue.pop(0) if self.queue else (None, None))

    def write(self, rec):
        with self.lock:
            self.log.write(json.dumps(rec) + "\n")
            self.log.flush()


class Handler(BaseHTTPRequestHandler):
    server_version = "llmserver/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log says what happened
        pass

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass  # after a reset the socket is gone

    def send(self, status, body, ctype="application/json", headers=(), length=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data) if length is None else length))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            pass  # the client gave up (a stall longer than its timeout)

    def do_GET(self):
        self.send(404, {"error": {"message": "only POST is scripted"}})

    def do_POST(self):
        script = self.server.script
        n, (index, step) = script.next()
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        api = {"/v1/chat/completions": "openai", "/api/chat": "ollama"}.get(self.path)
        auth = self.headers.get("Authorization", "")
        problems = []
        body = None
        if api is None:
            problems.append(f"unknown path {self.path}")
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            problems.append("Content-Type: expected application/json")
        try:
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError as e:
            problems.append(f"body: not a JSON object ({e})")
            body = None
        if body is not None and api == "openai":
            check_openai(body, problems)
        elif body is not None and api == "ollama":
            check_ollama(body, problems)
        if step is None:
            problems.append("script exhausted")
        else:
            if step.get("api") and step["api"] != api:
                problems.append(f"expected the {step['api']} API, got {api}")
            for k, v in step.get("expect", {}).items():
                got = bool(auth.startswith("Bearer ") and len(auth) > 7) if k == "auth" \
                    else (body or {}).get(k)
                if got != v:
                    problems.append(f"expect {k}: {v!r}, got {got!r}")
        script.write({"n": n, "path": self.path, "api": api, "step": index,
                      "fault": (step or {}).get("fault"), "auth": bool(auth),
                      "problems": problems, "body": body})
        if problems:
            self.send(400 if step is not None else 500,
                      {"error": {"message": "scripted server: " + "; ".join(problems)}})
            return
        self.answer(step, api, body)

    def answer(self, step, api, body):
        fault = step.get("fault")
        model = body.get("model", "")
        content = step.get("content", "ok")
        make = openai_reply if api == "openai" else ollama_reply
        if fault == "stall":
            time.sleep(float(step.get("seconds", 5)))
        if fault == "status":
            headers = [("Retry-After", str(step["retry_after"]))] if "retry_after" in step else []
            self.send(int(step["status"]),
                      step.get("body", {"error": {"message": f"scripted {step['status']}"}}),
                      headers=headers)
        elif fault == "cut":
            data = json.dumps(make(step, model, content)).encode()
            self.send(200, data[: len(data) // 2])
        elif fault == "partial":
            data = json.dumps(make(step, model, content)).encode()
            self.send(200, data[: len(data) // 2], length=len(data))
        elif fault == "bad_utf8":
            data = json.dumps(make(step, model, "@@BAD@@")).encode()
            self.send(200, data.replace(b"@@BAD@@", b"caf\xc3\x28 au lait"))
        elif fault == "empty_choices":
            r = make(step, model, content)
            r["choices"] = []
            self.send(200, r)
        elif fault == "missing_choices":
            self.send(200, {"id": "x", "object": "chat.completion"})
        elif fault == "not_json":
            self.send(200, b"<html><body>502 Bad Gateway</body></html>", ctype="text/html")
        elif fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif fault == "echo_auth":
            auth = self.headers.get("Authorization", "")
            self.send(401, {"error": {"message": f"invalid credentials in header '{auth}'"}})
        elif fault == "echo_auth_ok":
            auth = self.headers.get("Authorization", "")
            self.send(200, make(step, model, f"you sent the header '{auth}'"))
        else:
            self.send(200, make(step, model, content))


def main():
    args = sys.argv[1:]
    max_seconds = 120.0
    if "--max-seconds" in args:
        i = args.index("--max-seconds")
        max_seconds = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.script = Script(args[0], args[1])
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    threading.Timer(max_seconds, lambda: os._exit(3)).start()
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
