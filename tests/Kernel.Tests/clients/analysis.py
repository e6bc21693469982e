"""complete_request, inspect_request and is_complete_request against the running session."""
from harness import start, execute, wait_reply, emit

km, kc = start()
try:
    execute(kc, 'var numbers = new List<int> { 1, 2, 3 };\n/// <summary>Squares a number.</summary>\ndouble Square(double x) => x * x;')
    r = {"complete": {}, "inspect": {}, "is_complete": {}}
    for name, code in {
        "member": "numbers.Ad",
        "static": "Console.WriteL",
        "scope": "numb",
        "namespace": "System.Collections.Generic.Dic",
        "cell_method": "Squ",
        "keyword": "forea",
        "emoji": "var s = \"\U0001F600\"; numbers.Cou",
    }.items():
        msg_id = kc.complete(code, len(code))
        r["complete"][name] = wait_reply(kc, msg_id)["content"]
    for name, (code, pos) in {
        "method": ('Console.WriteLine("x");', 10),
        "in_arguments": ("Math.Sqrt(", 10),
        "variable": ("numbers", 3),
        "cell_method": ("Square(2)", 2),
        "nothing": ("   ", 1),
    }.items():
        msg_id = kc.inspect(code, pos)
        r["inspect"][name] = wait_reply(kc, msg_id)["content"]
    for code in ["if (true) {", "var x = 1;", "x + 1", "}", "for (int i = 0; i < 3; i++) {\n  if (i > 1) {", "\"abc"]:
        msg_id = kc.is_complete(code)
        r["is_complete"][code] = wait_reply(kc, msg_id)["content"]
    emit(r)
finally:
    km.shutdown_kernel(now=False)
