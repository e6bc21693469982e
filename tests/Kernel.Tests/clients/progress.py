"""Live progress: display_data with a transient display_id, then update_display_data with the same id on iopub; an
interrupt during a progress loop stops it; nbclient stores the progress display once, in its final state."""
import time
import nbformat
from nbclient import NotebookClient
from harness import start, execute, wait_reply, iopub_for, emit, KERNEL_NAME

PROGRESS_CELL = (
    'using (var p = ModelSecurity.Runtime.Progress.Start("demo", 1000, "step"))\n'
    '    for (int i = 0; i < 1000; i++) { Thread.Sleep(3); p.Metric("loss", 1.0 / (i + 1)).Advance(); }\n'
    'Console.WriteLine("done");'
)
# No Interruption.ThrowIfRequested() in the loop: Advance is the interruption point.
ENDLESS_CELL = (
    'using (var p = ModelSecurity.Runtime.Progress.Start("endless", 1000000, "step"))\n'
    '    for (int i = 0; i < 1000000; i++) { Thread.Sleep(5); p.Advance(); }'
)

km, kc = start()
try:
    r = {"live": execute(kc, PROGRESS_CELL, timeout=120)}

    msg_id = kc.execute(ENDLESS_CELL)
    seen = []
    deadline = time.time() + 60
    while time.time() < deadline:  # interrupt once the progress display is up
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        seen.append({"type": msg["msg_type"], "content": msg["content"]})
        if msg["msg_type"] == "display_data":
            break
    time.sleep(0.5)
    km.interrupt_kernel()
    r["interrupted"] = wait_reply(kc, msg_id, timeout=30)["content"]
    r["interrupted_iopub"] = seen + iopub_for(kc, msg_id)
    r["after"] = execute(kc, "1 + 1")
finally:
    km.shutdown_kernel(now=False)

nb = nbformat.v4.new_notebook()
nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "C#", "language": "C#"}
nb.cells.append(nbformat.v4.new_code_cell(PROGRESS_CELL))
NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=120, startup_timeout=90, allow_errors=False).execute()
nbformat.validate(nb)
r["stored"] = nb.cells[0].outputs
emit(r)
