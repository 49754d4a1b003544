#!/usr/bin/env bash
# tests/windows/wine.sh - runs proctree.sys (test build), proctree-agent.exe
# and proctree-wintest.exe under Wine for ctest (label "windows").
#
#   wine.sh setup     PREFIX BIN [QUEUE_CAP]   fresh prefix, install + start the test driver
#   wine.sh case      PREFIX BIN CASE          one proctree-wintest case
#   wine.sh agent     PREFIX BIN PROCTREE CHECK  agent -o FILE, known tree, check on Linux
#   wine.sh agent-tcp PREFIX BIN PROCTREE CHECK [PORT|auto]  same through --listen
#   wine.sh agent-flood PREFIX BIN PROCTREE CHECK  overflow: events lost, then a resync snapshot
#   wine.sh agent-facts PREFIX BIN PROCTREE CHECK  images hashed by the agent = sha256sum of the same files
#   wine.sh agent-errors PREFIX BIN           one-line errors: not installed / not started
#   wine.sh agent-stall PREFIX BIN PROCTREE CHECK  a TCP client that stops reading is dropped, the next served
#   wine.sh release   PREFIX BIN             the release proctree.sys: loads, no test IOCTL
#   wine.sh teardown  PREFIX
#
# Rules (Wine 8): never pipe wine's output (services.exe inherits the pipe and
# the reader hangs) - everything goes to files, stdin from /dev/null; a fresh
# prefix needs `wineboot -i` then `wineserver -w`; `wineserver -p` keeps the
# services (and the driver) alive between test processes. Every wait polls
# its condition against a deadline. Missing Wine is a failure, not a skip.
set -u

WINE64="${PT_WINE64:-}"
WINESERVER="${PT_WINESERVER:-}"
die() { echo "FAIL: $*"; exit 1; }

[ -n "$WINE64" ] && [ -x "$WINE64" ] ||
    die "wine64 not found (PT_WINE64='$WINE64'): install wine64 and wine (./dev test installs tools/apt-packages.txt)"
[ -n "$WINESERVER" ] && [ -x "$WINESERVER" ] || die "wineserver not found: install wine64"

cmd="$1"
export WINEPREFIX="$2"
export WINEDEBUG="${PT_WINEDEBUG:--all}"
export WINEDLLOVERRIDES="mscoree,mshtml="   # no Mono/Gecko installer dialogs
export WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY
LOGDIR="$WINEPREFIX.logs"
mkdir -p "$LOGDIR"

# run_wine NAME ARGS...: runs one Windows program to completion, output in
# files that are shown afterwards; returns its exit status.
run_wine() {
    local name="$1"; shift
    local out="$LOGDIR/$name.out" err="$LOGDIR/$name.err" rc
    "$WINE64" "$@" >"$out" 2>"$err" </dev/null
    rc=$?
    cat "$out"
    [ -s "$err" ] && sed 's/^/  stderr: /' "$err"
    [ $rc -eq 0 ] || echo "  ($name: exit status $rc)"
    return $rc
}

# run_wintest NAME ARGS...: one proctree-wintest run. The program says
# "ok CASE" or "FAIL CASE: why" on every path it can take (stdout
# unbuffered), so an exit that printed nothing at all is Wine ending the
# process under it (seen once in CI, with nothing printed), not a verdict:
# that alone is said and run once more.
run_wintest() {
    local name="$1"; shift
    run_wine "$name" 'C:\proctree-wintest.exe' "$@" && return 0
    local rc=$?
    [ -s "$LOGDIR/$name.out" ] || [ -s "$LOGDIR/$name.err" ] && return $rc
    echo "  ($name: Wine ended proctree-wintest before it said anything; once more)"
    run_wine "$name-again" 'C:\proctree-wintest.exe' "$@"
}

# new_prefix: a fresh prefix. Wine's first start in a new prefix sometimes
# fails to populate it under load ("could not load kernel32.dll"); that is
# the environment, not the driver, so it is said and the prefix made anew.
new_prefix() {
    local try
    for try in 1 2 3; do
        "$WINESERVER" -k >/dev/null 2>&1 </dev/null   # a server left by an earlier run of this prefix
        "$WINESERVER" -w >/dev/null 2>&1 </dev/null
        rm -rf "$WINEPREFIX" "$LOGDIR"; mkdir -p "$WINEPREFIX" "$LOGDIR"
        run_wine wineboot wineboot -i && "$WINESERVER" -w >/dev/null 2>&1 </dev/null && return 0
        echo "  (wineboot -i failed, attempt $try of 3)"
    done
    return 1
}

# wait_pid PID SECONDS: waits for our own background process; kills it on timeout.
wait_pid() {
    local pid="$1" deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then
            kill "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            return 124
        fi
        sleep 0.1
    done
    wait "$pid"
}

# wait_for SECONDS CMD...: polls CMD until it succeeds.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}

drivers_dir() { echo "$WINEPREFIX/drive_c/windows/system32/drivers"; }

case "$cmd" in
setup)
    BIN="$3"; CAP="${4:-65536}"
    for f in proctree-test.sys proctree-agent.exe proctree-wintest.exe; do
        [ -f "$BIN/$f" ] || die "$BIN/$f missing: build first (cmake --build)"
    done
    new_prefix || die "wineboot -i failed three times: see the stderr lines above"
    "$WINESERVER" -p >/dev/null 2>&1 </dev/null || die "wineserver -p failed"
    cp "$BIN/proctree-test.sys" "$(drivers_dir)/proctree-test.sys" || die "copy driver"
    cp "$BIN/proctree-agent.exe" "$BIN/proctree-wintest.exe" "$WINEPREFIX/drive_c/" || die "copy programs"
    run_wine sc-create sc create proctree type= kernel \
        binPath= 'C:\windows\system32\drivers\proctree-test.sys' || die "sc create"
    run_wine reg-add reg add 'HKLM\System\CurrentControlSet\Services\proctree\Parameters' \
        /v QueueCapBytes /t REG_DWORD /d "$CAP" /f || die "reg add QueueCapBytes"
    run_wine sc-start sc start proctree || die "sc start proctree"
    # the device answers (poll, generous deadline)
    wait_for 120 "$WINE64" 'C:\proctree-wintest.exe' version || die "\\\\.\\ProcTree never answered"
    echo "ok setup: $WINEPREFIX, proctree-test.sys running, queue cap $CAP"
    ;;
case)
    run_wintest "case-$4" "$4"
    exit $?
    ;;
agent|agent-tcp)
    PROCTREE="$4"; CHECK="$5"; PORT="${6:-auto}"
    if [ "$PORT" = auto ]; then   # a free loopback port, so parallel build trees do not collide
        PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    fi
    OUT="$LOGDIR/agent-$cmd.bin"; rm -f "$OUT"
    base=$(( 90000 + (RANDOM % 1000) * 16 ))
    if [ "$cmd" = agent ]; then
        "$WINE64" 'C:\proctree-agent.exe' -o "Z:$(echo "$OUT" | tr / '\\')" --count 5 --stats \
            >"$LOGDIR/$cmd.out" 2>"$LOGDIR/$cmd.err" </dev/null &
        apid=$!
    else
        "$WINE64" 'C:\proctree-agent.exe' --listen "127.0.0.1:$PORT" --count 5 --stats \
            >"$LOGDIR/$cmd.out" 2>"$LOGDIR/$cmd.err" </dev/null &
        apid=$!
        # the Linux side is the client, as `proctree --from tcp:` would be
        /usr/bin/python3 - "$PORT" "$OUT" >"$LOGDIR/tcp-client.log" 2>&1 </dev/null <<'EOF' &
import socket, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
deadline = time.time() + 120
while True:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("agent never listened on %d" % port)
        time.sleep(0.2)
s.settimeout(120)
total = 0
with open(out, "wb") as f:
    while True:
        b = s.recv(65536)
        if not b:
            break
        f.write(b)
        total += len(b)
print("received", total, "bytes")
EOF
        cpid=$!
    fi
    run_wine "tree-$cmd" 'C:\proctree-wintest.exe' tree "$base" || { kill $apid 2>/dev/null; die "injecting the tree"; }
    wait_pid $apid 120; arc=$?
    cat "$LOGDIR/$cmd.err"
    [ $arc -eq 0 ] || die "agent exited with $arc"
    if [ "$cmd" = agent-tcp ]; then
        wait_pid $cpid 60 || { cat "$LOGDIR/tcp-client.log"; die "TCP client failed"; }
    fi
    [ -s "$OUT" ] || die "no stream written"
    /usr/bin/python3 "$CHECK" "$PROCTREE" "$OUT" "$base"
    exit $?
    ;;
agent-flood)
    PROCTREE="$4"; CHECK="$5"
    OUT="$LOGDIR/agent-flood.bin"; rm -f "$OUT"
    base=$(( 200000 + (RANDOM % 1000) * 16384 ))
    "$WINE64" 'C:\proctree-agent.exe' -o "Z:$(echo "$OUT" | tr / '\\')" --idle-exit 3000 --stats \
        >"$LOGDIR/$cmd.out" 2>"$LOGDIR/$cmd.err" </dev/null &
    apid=$!
    run_wine flood 'C:\proctree-wintest.exe' flood "$base" 3000 || { kill $apid 2>/dev/null; die "flooding"; }
    wait_pid $apid 120; arc=$?
    cat "$LOGDIR/$cmd.err"
    [ $arc -eq 0 ] || die "agent exited with $arc"
    /usr/bin/python3 "$CHECK" "$PROCTREE" "$OUT" "$base" 3000
    exit $?
    ;;
agent-stall)
    # A client that connects and never reads: once the socket buffers are full
    # (about 4 MB on Linux loopback) the agent must drop it after
    # --client-timeout, in one line, not block for ever; the next client then
    # gets a whole stream.
    PROCTREE="$4"; CHECK="$5"
    PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    OUT="$LOGDIR/agent-stall.bin"; RELEASE="$LOGDIR/stall-release"; rm -f "$OUT" "$RELEASE"
    base=$(( 90000 + (RANDOM % 1000) * 16 ))
    "$WINE64" 'C:\proctree-agent.exe' --listen "127.0.0.1:$PORT" --client-timeout 2 --idle-exit 5000 \
        >"$LOGDIR/$cmd.out" 2>"$LOGDIR/$cmd.err" </dev/null &
    apid=$!
    /usr/bin/python3 - "$PORT" "$RELEASE" >"$LOGDIR/stall-client.log" 2>&1 </dev/null <<'EOF' &
import os, socket, sys, time
port, release = int(sys.argv[1]), sys.argv[2]
deadline = time.time() + 200
while True:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    try:
        s.connect(("127.0.0.1", port))
        break
    except OSError:
        s.close()
        if time.time() > deadline:
            sys.exit("agent never listened on %d" % port)
        time.sleep(0.2)
print("connected; not reading", flush=True)
while not os.path.exists(release) and time.time() < deadline:
    time.sleep(0.2)
EOF
    spid=$!
    wait_for 60 grep -q "client connected" "$LOGDIR/$cmd.err" ||
        { kill $apid $spid 2>/dev/null; cat "$LOGDIR/$cmd.err" "$LOGDIR/stall-client.log"; die "no client connected"; }
    stalled=0
    dropped() { grep -q "client took nothing for 2000 ms: dropping it" "$LOGDIR/$cmd.err"; }
    for i in $(seq 1 150); do   # about 67 KB reach the client per flood (the driver's queue cap)
        # (a flood waits for the agent's handle, which goes once the client is dropped)
        "$WINE64" 'C:\proctree-wintest.exe' flood $((1000000 + i * 200000)) 50000 \
            >"$LOGDIR/stall-flood.out" 2>&1 </dev/null &
        fpid=$!
        while kill -0 $fpid 2>/dev/null && ! dropped; do sleep 0.1; done
        dropped && { kill $fpid 2>/dev/null; wait $fpid 2>/dev/null; stalled=1; break; }
        wait $fpid ||
            { kill $apid $spid 2>/dev/null; cat "$LOGDIR/stall-flood.out" "$LOGDIR/$cmd.err"; die "flooding"; }
    done
    [ $stalled -eq 1 ] || ! wait_for 10 dropped || stalled=1
    touch "$RELEASE"; wait_pid $spid 10
    [ $stalled -eq 1 ] || { kill $apid 2>/dev/null; cat "$LOGDIR/$cmd.err"; die "the stalled client was never dropped"; }
    echo "stalled client dropped after $i floods"
    # the next client: a whole stream (header, snapshot, the tree), then --idle-exit ends it
    /usr/bin/python3 - "$PORT" "$OUT" >"$LOGDIR/stall-next.log" 2>&1 </dev/null <<'EOF' &
import socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.settimeout(120)
with open(out, "wb") as f:
    while True:
        b = s.recv(65536)
        if not b:
            break
        f.write(b)
EOF
    cpid=$!
    run_wine "tree-$cmd" 'C:\proctree-wintest.exe' tree "$base" || { kill $apid $cpid 2>/dev/null; die "injecting the tree"; }
    wait_pid $apid 120; arc=$?
    wait_pid $cpid 30; crc=$?
    cat "$LOGDIR/$cmd.err"
    [ $arc -eq 0 ] || die "agent exited with $arc"
    [ $crc -eq 0 ] || { cat "$LOGDIR/stall-next.log"; die "the next client failed"; }
    [ "$(grep -c 'took nothing' "$LOGDIR/$cmd.err")" -eq 1 ] || die "want exactly one stall line"
    /usr/bin/python3 "$CHECK" "$PROCTREE" "$OUT" "$base"
    exit $?
    ;;
agent-facts)
    # Real files in the prefix, named in the forms the driver gives (\??\C:\...,
    # \SystemRoot\...), one twice (the cache), one missing; after their facts
    # are out, one file changes (new size and last-write time) and is created
    # again: its new hash, not the cached one. Expected values come from
    # sha256sum and stat of the same files on this side.
    PROCTREE="$4"; CHECK="$5"
    OUT="$LOGDIR/agent-facts.bin"; MAN="$LOGDIR/agent-facts.manifest"; rm -f "$OUT" "$MAN"
    DIR="$WINEPREFIX/drive_c/pt-facts"; rm -rf "$DIR"; mkdir -p "$DIR/dïr" || die "mkdir"
    head -c 300000 /dev/urandom >"$DIR/random.exe"
    head -c 3000001 /dev/urandom >"$DIR/dïr/big.exe"   # several read chunks, UTF-8 path
    : >"$DIR/empty.exe"
    cp "$WINEPREFIX/drive_c/windows/system32/notepad.exe" "$DIR/notepad.exe" || die "no notepad.exe in the prefix"
    base=$(( 300000 + (RANDOM % 1000) * 64 ))
    facts() { echo "pid $1 hashed $(sha256sum <"$2" | cut -d' ' -f1) $(stat -c %s "$2")" >>"$MAN"; }
    facts $base "$DIR/random.exe"
    facts $((base + 4)) "$DIR/dïr/big.exe"
    facts $((base + 8)) "$DIR/empty.exe"
    facts $((base + 12)) "$WINEPREFIX/drive_c/windows/system32/notepad.exe"
    facts $((base + 16)) "$DIR/notepad.exe"
    facts $((base + 20)) "$DIR/random.exe"
    echo "pid $((base + 24)) unreadable - -" >>"$MAN"
    echo "name proctree-agent.exe hashed $(sha256sum <"$WINEPREFIX/drive_c/proctree-agent.exe" | cut -d' ' -f1) $(stat -c %s "$WINEPREFIX/drive_c/proctree-agent.exe")" >>"$MAN"
    "$WINE64" 'C:\proctree-agent.exe' -o "Z:$(echo "$OUT" | tr / '\\')" --count 8 --stats \
        >"$LOGDIR/$cmd.out" 2>"$LOGDIR/$cmd.err" </dev/null &
    apid=$!
    run_wine images-1 'C:\proctree-wintest.exe' images "$base" '\??\C:\pt-facts\random.exe' \
        "\\??\\C:\\pt-facts\\dïr\\big.exe" 'C:\pt-facts\empty.exe' '\SystemRoot\system32\notepad.exe' \
        '\??\c:\PT-FACTS\notepad.exe' '\??\C:\pt-facts\random.exe' '\??\C:\pt-facts\missing.exe' ||
        { kill $apid 2>/dev/null; die "injecting the images"; }
    seven() { [ "$("$PROCTREE" decode "$OUT" 2>/dev/null | grep -c '"type":"image_facts".*"pid":'"$((base + 24))"',')" -ge 1 ]; }
    wait_for 120 seven || { kill $apid 2>/dev/null; cat "$LOGDIR/$cmd.err"; die "the first images' facts never came"; }
    head -c 123457 /dev/urandom >"$DIR/random.exe"; touch -d '+1 minute' "$DIR/random.exe"
    facts $((base + 28)) "$DIR/random.exe"
    run_wine images-2 'C:\proctree-wintest.exe' images $((base + 28)) '\??\C:\pt-facts\random.exe' ||
        { kill $apid 2>/dev/null; die "injecting the changed image"; }
    wait_pid $apid 120; arc=$?
    cat "$LOGDIR/$cmd.err"
    [ $arc -eq 0 ] || die "agent exited with $arc"
    /usr/bin/python3 "$CHECK" "$PROCTREE" "$OUT" "$MAN" "$LOGDIR/$cmd.err"
    exit $?
    ;;
agent-errors)
    fail=0
    run_wine agent-help 'C:\proctree-agent.exe' --help | grep -q -- '--listen ADDR:PORT' || { echo "FAIL: --help"; fail=1; }
    run_wine agent-missing 'C:\proctree-agent.exe' --device '\\.\ProcTreeMissing' --service proctree-missing -o 'C:\x.bin'
    grep -q "the driver is not installed (no service 'proctree-missing')" "$LOGDIR/agent-missing.err" ||
        { echo "FAIL: no 'not installed' message"; fail=1; }
    run_wine sc-create-idle sc create proctree-idle type= kernel \
        binPath= 'C:\windows\system32\drivers\proctree-test.sys' >/dev/null
    run_wine agent-idle 'C:\proctree-agent.exe' --device '\\.\ProcTreeIdle' --service proctree-idle -o 'C:\x.bin'
    grep -q "the driver is installed but not started: sc start proctree-idle" "$LOGDIR/agent-idle.err" ||
        { echo "FAIL: no 'not started' message"; fail=1; }
    run_wine sc-delete-idle sc delete proctree-idle >/dev/null
    for f in "$LOGDIR/agent-missing.err" "$LOGDIR/agent-idle.err"; do
        [ "$(wc -l <"$f")" -eq 1 ] || { echo "FAIL: $f is not one line"; fail=1; }
    done
    [ $fail -eq 0 ] && echo "ok agent-errors"
    exit $fail
    ;;
release)
    # the release driver in place of the test build (which `case stop` unloaded)
    BIN="$3"
    cp "$BIN/proctree.sys" "$(drivers_dir)/proctree.sys" || die "copy release driver"
    # (Wine's sc has no `config`: a second service for the release image)
    run_wine sc-create-release sc create proctree-release type= kernel \
        binPath= 'C:\windows\system32\drivers\proctree.sys' || die "sc create (release)"
    run_wine sc-start-release sc start proctree-release || die "sc start (release)"
    run_wintest case-release release; rc=$?
    run_wine sc-stop-release sc stop proctree-release >/dev/null
    run_wine sc-delete-release sc delete proctree-release >/dev/null
    exit $rc
    ;;
teardown)
    "$WINESERVER" -k >/dev/null 2>&1 </dev/null
    "$WINESERVER" -w >/dev/null 2>&1 </dev/null
    echo "ok teardown"
    ;;
*)
    die "unknown command $cmd"
    ;;
esac
