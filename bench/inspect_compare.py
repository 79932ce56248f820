"""The shared half of the inspect benchmarks (bench_keras_inspect.py, bench_pytorch_inspect.py): `slipway inspect`
against a framework's own loader on the same file, each in its own child process, after one untimed run each
so that every run sees the file in page cache. The loader's figure is the call alone, timed inside the child
(its first stdout word), leaving the framework's import out in its favour; slipway's is its whole process.
"""
import os
import subprocess
import time


def measure(argv):
    """Wall seconds, peak RSS (bytes) and stdout of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed")
    return wall, usage.ru_maxrss * 1024, out.decode()


def compare(slipway, path, loader, label, runs):
    """Prints both readers' figures and the goals (≥ 20× faster, RSS ≤ 1.2× the file)."""
    size = path.stat().st_size
    mine = [slipway, "inspect", "--json", str(path)]
    measure(mine)
    ours = [measure(mine) for _ in range(runs)]
    measure(loader)
    theirs = [measure(loader) for _ in range(runs)]
    wall = min(w for w, _, _ in ours)
    rss = max(r for _, r, _ in ours)
    load = min(float(o.split()[0]) for _, _, o in theirs)
    their_rss = max(r for _, r, _ in theirs)
    print(f"{path.name}: {size / 1e6:.0f} MB ({slipway})")
    print(f"  slipway inspect --json     wall {wall:.3f} s   peak RSS {rss / 1e6:.1f} MB ({rss / size:.3f}× the file)")
    print(f"  {label:<26} wall {load:.3f} s   peak RSS {their_rss / 1e6:.1f} MB (whole process, its framework included)")
    print(f"  speed-up {load / wall:.1f}× (goal ≥ 20×); RSS goal ≤ 1.2× the file: {'met' if rss <= 1.2 * size else 'missed'}")
