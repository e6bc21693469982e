"""interrupt_request during a long loop, the kernel usable afterwards; input_request for Console.ReadLine."""
import signal
import time
from harness import start, execute, wait_reply, iopub_for, emit

def wait_until_running(kc, msg_id, marker="looping", timeout=30):
    """Waits for the cell's first output: an interrupt that arrives while the cell is still compiling (slow on a
    loaded machine) has nothing to interrupt yet."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream"
                and marker in msg["content"]["text"]):
            return


# A process started in the background by a non-interactive shell (nohup …&, some CI runners) inherits SIGINT as
# *ignored*, and so would the kernel; .NET, like Python, then leaves SIGINT ignored. Jupyter front ends start kernels
# with the default disposition: restore it here, so that the kernel inherits what it would get from a front end.
signal.signal(signal.SIGINT, signal.default_int_handler)

km, kc = start()
try:
    r = {}
    execute(kc, "var steps = 0;")
    msg_id = kc.execute('Console.WriteLine("looping");\nwhile (true) { Thread.Sleep(10); steps++; ModelSecurity.Runtime.Interruption.ThrowIfRequested(); }')
    wait_until_running(kc, msg_id)
    time.sleep(0.5)
    t = time.time()
    km.interrupt_kernel()
    r["interrupted"] = wait_reply(kc, msg_id, timeout=30)["content"]
    r["interrupt_seconds"] = time.time() - t
    r["after"] = execute(kc, "steps > 10")

    # SIGINT (what a front end sends when a kernelspec says interrupt_mode "signal", or Ctrl+C in a terminal)
    # interrupts the running cell too, twice in a row, and never ends the process.
    r["signal"] = []
    for attempt in range(2):
        msg_id = kc.execute('Console.WriteLine("looping");\nwhile (true) { Thread.Sleep(10); ModelSecurity.Runtime.Interruption.ThrowIfRequested(); }')
        wait_until_running(kc, msg_id)
        km.signal_kernel(signal.SIGINT)
        r["signal"].append(wait_reply(kc, msg_id, timeout=30)["content"]["ename"])
    r["alive_after_signals"] = km.is_alive()

    # Console.ReadLine asks the front end.
    msg_id = kc.execute('Console.Write("Name? ");\nvar name = Console.ReadLine();\nConsole.WriteLine($"Hello, {name}!");', allow_stdin=True)
    request = kc.get_stdin_msg(timeout=30)
    r["input_request"] = {"type": request["msg_type"], "content": request["content"],
                          "parent": request["parent_header"].get("msg_id") == msg_id}
    kc.input("Ada")
    r["input_reply"] = wait_reply(kc, msg_id)["content"]
    r["input_iopub"] = iopub_for(kc, msg_id)

    r["no_stdin"] = execute(kc, "Console.ReadLine()", allow_stdin=False)["reply"]
    emit(r)
finally:
    km.shutdown_kernel(now=False)
