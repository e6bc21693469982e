"""Does what Jupyter Notebook's page does on "run these cells, then save": executes the given code cells of a notebook
in the kernel of that notebook's session on a running notebook server, puts the outputs the kernel sent into the
notebook as the page would (nbformat.v4.output_from_msg, clear_output honoured, re-run cells marked trusted) and saves
it through the contents API. Usage: rerun_and_save.py BASE_URL NOTEBOOK KERNEL_NAME RUNTIME_DIR CELL_INDEX...
Prints RESULT {"cells": [{"index", "outputs": [[mime, ...], ...], "errors"}]}."""
import json
import os
import sys
import http.cookiejar
import urllib.request

from jupyter_client import BlockingKernelClient
from nbformat.v4 import output_from_msg

base, notebook, kernel_name, runtime = sys.argv[1:5]
indices = [int(i) for i in sys.argv[5:]]


# Like the page: the server's _xsrf cookie (set on the first page load) goes back as X-XSRFToken on every change.
cookies = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
opener.open(base + "/tree", timeout=120).read()
xsrf = next((c.value for c in cookies if c.name == "_xsrf"), "")


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "X-XSRFToken": xsrf})
    with opener.open(request, timeout=120) as response:
        return json.loads(response.read() or b"null")


# The page's first step: a session for the notebook, which starts (or reuses) its kernel.
session = call("POST", "/api/sessions", {"path": notebook, "type": "notebook", "name": "", "kernel": {"name": kernel_name}})
kernel_id = session["kernel"]["id"]
client = BlockingKernelClient(connection_file=os.path.join(runtime, f"kernel-{kernel_id}.json"))
client.load_connection_file()
client.start_channels()
client.wait_for_ready(timeout=120)

model = call("GET", f"/api/contents/{notebook}?type=notebook&content=1")
cells = model["content"]["cells"]
report = []
for index in indices:
    cell = cells[index]
    msg_id = client.execute(cell["source"], store_history=True, allow_stdin=False, stop_on_error=True)
    outputs = []
    while True:
        msg = client.get_iopub_msg(timeout=900)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            break
        if kind == "clear_output":
            outputs = []
        elif kind in ("stream", "display_data", "execute_result", "error"):
            outputs.append(output_from_msg(msg))
    reply = client.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=60)
    cell["outputs"] = outputs
    cell["execution_count"] = reply["content"].get("execution_count")
    cell["metadata"]["trusted"] = True  # what the page records for outputs it received from the kernel itself
    report.append({"index": index, "status": reply["content"]["status"],
                   "outputs": [sorted(o.get("data", {}).keys()) or [o["output_type"]] for o in outputs],
                   "errors": [o.get("ename", "") + ": " + o.get("evalue", "") for o in outputs if o["output_type"] == "error"]})
    if reply["content"]["status"] != "ok":
        break

client.stop_channels()
call("PUT", f"/api/contents/{notebook}", {"type": "notebook", "format": "json", "content": model["content"]})
print("RESULT " + json.dumps({"cells": report, "kernel": kernel_id}), flush=True)
