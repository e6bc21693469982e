"""A notebook executed end to end by nbclient through the kernel its kernelspec names."""
import sys
import nbformat
from nbclient import NotebookClient
from harness import emit, KERNEL_NAME

path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=120, startup_timeout=90, allow_errors=False)
client.execute()
nbformat.validate(nb)
nbformat.write(nb, path)
emit({
    "language_info": nb.metadata.get("language_info"),
    "cells": [{"count": c.get("execution_count"), "outputs": c.get("outputs", [])} for c in nb.cells if c.cell_type == "code"],
})
