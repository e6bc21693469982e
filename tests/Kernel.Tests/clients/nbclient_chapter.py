"""A course chapter executed by nbclient through the course kernel, as papermill would run it.

Arguments: <notebook.ipynb> <working directory> <per-cell timeout in seconds>

The C# test has already inserted the injected-parameters cell. Errors stop the run (allow_errors=False) except in
cells tagged `exercise`: they are tagged `raises-exception` here, the nbclient tag that tolerates an error in that
one cell (the student's stubs throw NotImplementedException by design). The test checks what they raised.
The executed notebook is written back to the same path (e.g. for nbconvert).
"""
import sys
import time
import nbformat
from nbclient import NotebookClient
from harness import emit, log, KERNEL_NAME

path, cwd, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(path, as_version=4)
tolerated = []
for cell in nb.cells:
    tags = cell.metadata.get("tags", [])
    if cell.cell_type == "code" and "exercise" in tags and "raises-exception" not in tags:
        cell.metadata["tags"] = tags + ["raises-exception"]
        tolerated.append(cell)

client = NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=timeout, startup_timeout=90, allow_errors=False,
                        resources={"metadata": {"path": cwd}})
started = time.time()
client.execute()
elapsed = time.time() - started
log(f"{path}: {elapsed:.1f} s")
# Leave the notebook as the user had it: the helper tag is not part of it.
for cell in tolerated:
    cell.metadata["tags"] = [t for t in cell.metadata["tags"] if t != "raises-exception"]
nbformat.validate(nb)
nbformat.write(nb, path)
emit({
    "seconds": elapsed,
    "cells": [{"tags": c.metadata.get("tags", []), "count": c.get("execution_count"), "outputs": c.get("outputs", [])}
              for c in nb.cells if c.cell_type == "code"],
})
