#!/usr/bin/env bash
# CI: build the bundle and the .deb, then smoke-test the bundle (version, a headless start that
# paints the main window and exits 0, a real archive backup) and run tests/packaging against it.
# Uses the venv of tests/run.sh (.venv) when it exists, else its own (build/pack-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen

VENV="${BACKUPDESK_PACK_VENV:-}"
if [ -z "$VENV" ]; then
    if [ -x .venv/bin/python ]; then VENV=.venv; else VENV=build/pack-venv; fi
fi
export BACKUPDESK_PACK_VENV="$VENV"
t0=$SECONDS
bash packaging/build.sh
echo "== build took $((SECONDS - t0)) s"

BUNDLE="$PWD/dist/backupdesk"
EXE="$BUNDLE/backupdesk"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "== smoke: --version"
want="backupdesk $("$VENV/bin/python" -c 'import core; print(core.__version__)')"
got="$("$EXE" --version)"
[ "$got" = "$want" ] || { echo "version: got '$got', want '$want'"; exit 1; }

echo "== smoke: headless start"
out="$(timeout 60 "$EXE" --home "$WORK/home" gui --exit-after-start)"
echo "$out"
echo "$out" | tail -1 | "$VENV/bin/python" -c \
    'import json, sys; m = json.loads(sys.stdin.read()); assert m["first_paint"] > 0, m'

echo "== smoke: a real archive backup"
mkdir -p "$WORK/src/sub" "$WORK/dest"
echo "hello" > "$WORK/src/a.txt"; echo "world" > "$WORK/src/sub/b.txt"
"$EXE" --home "$WORK/home" plan add smoke --engine archive --source "$WORK/src" \
    --dest "$WORK/dest" >/dev/null
"$EXE" --home "$WORK/home" run smoke >/dev/null
ls "$WORK/dest" | grep -q . || { echo "no archive written"; exit 1; }

echo "== smoke: a failed run notifies through Apprise's json:// plugin"
"$VENV/bin/python" - "$WORK/notified" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        open(sys.argv[1], "wb").write(body)
        self.send_response(200); self.end_headers()
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".port", "w").write(str(srv.server_port))
srv.timeout = 60
srv.handle_request()
PY
for _ in $(seq 100); do [ -s "$WORK/notified.port" ] && break; sleep 0.1; done
"$EXE" --home "$WORK/home" plan add told --engine archive --source "$WORK/src" \
    --dest "$WORK/dest2" --before "exit 3" \
    --notify "json://127.0.0.1:$(cat "$WORK/notified.port")/" >/dev/null
"$EXE" --home "$WORK/home" run told >/dev/null 2>&1 && { echo "before hook did not stop it"; exit 1; }
wait
grep -q "told: backup failed" "$WORK/notified" || { echo "no notification"; exit 1; }

echo "== sizes"
echo "bundle: $(du -sh "$BUNDLE" | cut -f1)"
ls -l dist/*.deb | awk '{printf "deb: %s (%.1f MiB)\n", $NF, $5 / 1048576}'

echo "== tests/packaging against the bundle"
[ -x "$VENV/bin/pytest" ] || "$VENV/bin/python" -m pip install -q -e ".[test]"
BACKUPDESK_BUNDLE="$BUNDLE" BACKUPDESK_DEB="$(ls dist/backupdesk_*.deb | head -1)" \
    exec "$VENV/bin/python" -m pytest -q -p no:xdist tests/packaging
