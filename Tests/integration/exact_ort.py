"""onnxruntime sessions whose integer matmuls are exact on any x86-64 host.

onnxruntime's default uint8 x int8 kernel on x86-64 without VNNI (VPMADDUBSW) adds paired products in int16 and
saturates; `session.x64quantprecision=1` makes it use exact U8U8 kernels (onnxruntime's session option header,
kOrtSessionOptionsAvx2PrecisionMode). The conversion tests measure what the converter wrote, not the test host's
kernel, so every quantized model is run exactly; `slipway test` does the same unless the target's device is an
x86-64 without VNNI (docs/test.md).
"""
import onnxruntime as ort


def exact_session(path_or_bytes, providers=("CPUExecutionProvider",)):
    """Exact where onnxruntime can: its U8U8 rewrite refuses some graphs at load (1.23: QGemm, which has no
    uint8-weight kernel; weights shared by two nodes), which then load with the default kernels, as in
    `slipway test`'s runner."""
    options = ort.SessionOptions()
    options.add_session_config_entry("session.x64quantprecision", "1")
    source = path_or_bytes if isinstance(path_or_bytes, bytes) else str(path_or_bytes)
    try:
        return ort.InferenceSession(source, options, providers=list(providers))
    except Exception:
        return ort.InferenceSession(source, providers=list(providers))


def default_session(path):
    """The host's default kernels: what an x86-64 without VNNI runs (saturating U8S8 when this host has no VNNI)."""
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def host_u8s8_saturates():
    """x86-64 with AVX2 and no VNNI: onnxruntime's default U8S8 kernel saturates here."""
    import platform
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
        flags = next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), [])
    return "avx2" in flags and not ("avx512_vnni" in flags or "avx_vnni" in flags)
