"""Shared helpers for the kernel tests: start the course kernel through jupyter_client and collect what it sends.

Each test script prints one line "RESULT <json>" that the C# test reads; anything else is diagnostics.
"""
import json
import os
import sys
import time

from jupyter_client.manager import start_new_kernel

KERNEL_NAME = os.environ.get("COURSE_KERNEL_NAME", ".net-csharp")


def start(**kwargs):
    """Starts the kernel named by the kernelspec (installed by the test into JUPYTER_PATH); waits for kernel_info."""
    return start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=90, **kwargs)


def wait_reply(kc, msg_id, timeout=60, channel="shell"):
    get = kc.get_shell_msg if channel == "shell" else kc.get_control_msg
    deadline = time.time() + timeout
    while True:
        msg = get(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def iopub_for(kc, msg_id, timeout=60):
    """iopub messages with parent msg_id, up to and including status idle, as {type, content} dicts."""
    out = []
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        out.append({"type": msg["msg_type"], "content": msg["content"]})
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return out


def execute(kc, code, timeout=60, **kwargs):
    """Runs code; returns {"reply": execute_reply content, "iopub": [...]}."""
    msg_id = kc.execute(code, **kwargs)
    iopub = iopub_for(kc, msg_id, timeout)
    reply = wait_reply(kc, msg_id, timeout)
    return {"reply": reply["content"], "iopub": iopub}


def emit(result):
    print("RESULT " + json.dumps(result), flush=True)


def log(*args):
    print(*args, file=sys.stderr, flush=True)
