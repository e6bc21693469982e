"""kernel_info, execution outputs (stream, display, update, result, error), silent, store_history, stop_on_error,
user_expressions, comm_info/history and an unknown message type."""
import time
from harness import start, execute, wait_reply, iopub_for, emit

km, kc = start()
try:
    r = {}
    msg_id = kc.kernel_info()
    r["kernel_info"] = wait_reply(kc, msg_id)["content"]
    r["kernel_info_iopub"] = [m["content"].get("execution_state") for m in iopub_for(kc, msg_id)]

    r["hello"] = execute(kc, 'Console.WriteLine("hello");\nConsole.Error.WriteLine("careful");\n40 + 2')
    r["display"] = execute(kc, 'display("<b>bold</b>", "text/html");\nvar d = display("step 1");\nd.Update("step 2");')
    r["error"] = execute(kc, 'var a = 1;\nint Fail() =>\n    throw new InvalidOperationException("boom");\nFail();')
    r["compile_error"] = execute(kc, 'int x = "text";')
    r["silent"] = execute(kc, 'Console.WriteLine("quiet"); 7', silent=True)
    r["no_history"] = execute(kc, '"not stored"', store_history=False)
    r["after"] = execute(kc, 'a + 1')
    r["user_expressions"] = execute(kc, 'var z = 5;', user_expressions={"twice": "z * 2", "bad": "nope"})["reply"]

    # stop_on_error: three executes queued at once; the first fails, the two behind it are aborted. The first waits a second
    # before failing so that the other two are surely queued by then: a kernel aborts only requests already queued when a
    # cell fails (as ipykernel does), and on a busy machine a cell that failed at once sometimes beat the next request.
    ids = [kc.execute('System.Threading.Thread.Sleep(1000);\nthrow new Exception("first fails");'), kc.execute('Console.WriteLine("never");'), kc.execute('1')]
    r["queued"] = [wait_reply(kc, i)["content"] for i in ids]
    r["after_abort"] = execute(kc, '"runs again"')["reply"]

    comm = kc.comm_info()
    r["comm_info"] = wait_reply(kc, comm)["content"]
    hist = kc.history()
    r["history"] = wait_reply(kc, hist)["content"]

    # An unknown message type gets no reply; the kernel keeps answering.
    unknown = kc.session.msg("no_such_request", {})
    kc.shell_channel.send(unknown)
    r["after_unknown"] = execute(kc, '"still here"')["reply"]["status"]
    # A LINQ result over anonymous objects, shown with display(...) as the cell's last expression (no ';').
    r["linq"] = execute(kc, 'display(new[] { 0.5, 0.25 }.Select(x => new { Eps = x, Doubled = new[] { x }.Select(v => v * 2) }))')
    emit(r)
finally:
    km.shutdown_kernel(now=False)
