"""Restart: shutdown_request with restart=true, a new process, an empty session."""
from harness import start, execute, emit

km, kc = start()
try:
    r = {}
    execute(kc, "var kept = 42;")
    r["pid_before"] = km.provisioner.process.pid
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=60)
    r["pid_after"] = km.provisioner.process.pid
    r["after"] = execute(kc, "kept")["reply"]
    r["fresh"] = execute(kc, '"fresh"')
    emit(r)
finally:
    km.shutdown_kernel(now=False)
