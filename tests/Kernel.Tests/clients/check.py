"""An exercise check cell through the kernel: a wrong answer gets ✘, the right one ✔ (display_data, text/plain and text/html)."""
from harness import start, execute, emit

km, kc = start()
try:
    r = {}
    r["undefined"] = execute(kc, 'Exercise("toy/square").Check()')
    execute(kc, 'double Square(double x) => 2 * x;')
    r["wrong"] = execute(kc, 'Exercise("toy/square").Check()')
    execute(kc, 'double Square(double x) => x * x;')
    r["right"] = execute(kc, 'Exercise("toy/square").Check()')
    emit(r)
finally:
    km.shutdown_kernel(now=False)
