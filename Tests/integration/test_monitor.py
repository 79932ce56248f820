"""`slipway monitor rules` and `slipway monitor check` against Prometheus itself (Debian's prometheus package).

The generated rules pass `promtool check rules`, and `promtool test rules` fires each alert for a series that
crosses its threshold and not for one that does not. A real Prometheus server on loopback scrapes a small
exporter and evaluates the same rules; `monitor check` asked against it reports exactly the breaches whose
alerts Prometheus fires. Scrapes and inference logs give the same verdicts offline, with figures checked
against numpy.
"""
import http.server
import json
import os
import pathlib
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

MANIFEST = """slipway: 1
name: text-encoder
model: {path: models/encoder.onnx}
targets:
  server: {runtime: onnxruntime@1.20, device: x86-64-avx2, format: onnx}
monitor:
  latency_p95_ms: 12
  error_rate: 0.01
  min_throughput_rps: 5
  max_output_drift: 0.2
  window: 1m
  labels: {team: search}
"""

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing: `make test` installs prometheus")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "m.slipway.yaml").write_text(MANIFEST)
    return tmp_path


def rules(run, project):
    r = run("monitor", "rules", "m.slipway.yaml", "-o", "rules.yml", cwd=project)
    assert r.returncode == 0, r.stderr.decode()
    return project / "rules.yml"


def test_rules_pass_promtool_check(run, project):
    path = rules(run, project)
    r = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 4 rules found" in r.stdout


def test_each_alert_fires_exactly_for_the_series_that_crosses_it(run, project):
    rules(run, project)
    labels = {"severity": "warning", "slipway_model": "text-encoder", "team": "search"}
    source = "monitor.{} in the Slipway manifest; window 1m"
    # "hot" crosses every threshold, "cool" none: 15 s apart, linear counters so rates are exact.
    series = []
    for target, rps, err, bucket, drift in [("hot", 2, 0.2, "0.05", 0.5), ("cool", 10, 0, "0.005", 0.1)]:
        sel = f'model="text-encoder",target="{target}"'
        series.append({"series": f"slipway_inference_requests_total{{{sel}}}", "values": f"0+{rps * 15}x40"})
        series.append({"series": f"slipway_inference_errors_total{{{sel}}}", "values": f"0+{err * 15:g}x40"})
        for le in ["0.005", "0.01", "0.025", "0.05", "+Inf"]:
            inside = float(le) >= float(bucket)
            series.append({"series": f'slipway_inference_duration_seconds_bucket{{{sel},le="{le}"}}',
                           "values": f"0+{rps * 15 if inside else 0}x40"})
        series.append({"series": f"slipway_output_drift{{{sel}}}", "values": f"{drift}x40"})
    expected = {
        "SlipwayLatencyP95High": ("text-encoder on hot: p95 latency above 12 ms",
                                  "p95 latency is 48.75ms (" + source.format("latency_p95_ms") + ")"),
        "SlipwayErrorRateHigh": ("text-encoder on hot: error rate above 0.01",
                                 "10% of inferences fail (" + source.format("error_rate") + ")"),
        "SlipwayThroughputLow": ("text-encoder on hot: throughput below 5 requests/s",
                                 "2 requests/s (" + source.format("min_throughput_rps") + ")"),
        "SlipwayOutputDrift": ("text-encoder on hot: output drift (psi) above 0.2",
                               "drift is 500m (" + source.format("max_output_drift") + ")"),
    }
    tests = {"rule_files": ["rules.yml"], "evaluation_interval": "15s", "tests": [{
        "interval": "15s", "input_series": series,
        "alert_rule_test": [
            {"eval_time": "5m", "alertname": name,
             "exp_alerts": [{"exp_labels": {**labels, "target": "hot"},
                             "exp_annotations": {"summary": s, "description": d}}]}
            for name, (s, d) in expected.items()
        ],
    }]}
    (project / "rules_test.yml").write_text(json.dumps(tests))  # JSON is YAML
    r = subprocess.run(["promtool", "test", "rules", "rules_test.yml"], cwd=project, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


class Exporter(http.server.BaseHTTPRequestHandler):
    """Counters that grow with time: "hot" breaches every threshold, "cool" none. Each sample carries the time its
    value was read at (the exposition format's timestamp, which Prometheus honours): stamped at the scrape's start
    instead, a loaded machine's late answers would bend the rates."""
    start = time.time()

    def do_GET(self):
        now = time.time()
        t = now - self.start
        stamp = f" {int(now * 1000)}"
        lines = []
        for target, rps, err, bucket, drift in [("hot", 2, 0.2, 0.05, 0.5), ("cool", 10, 0, 0.005, 0.1)]:
            sel = f'model="text-encoder",target="{target}"'
            lines.append(f"slipway_inference_requests_total{{{sel}}} {rps * t}{stamp}")
            lines.append(f"slipway_inference_errors_total{{{sel}}} {err * t}{stamp}")
            for le in ["0.005", "0.01", "0.025", "0.05", "+Inf"]:
                inside = le == "+Inf" or float(le) >= bucket
                lines.append(f'slipway_inference_duration_seconds_bucket{{{sel},le="{le}"}} {rps * t if inside else 0}{stamp}')
            lines.append(f"slipway_output_drift{{{sel}}} {drift}{stamp}")
        body = ("\n".join(lines) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus missing")
def test_check_against_a_live_prometheus_agrees_with_the_alerts_it_fires(run, project, tmp_path):
    # A 30 s window scraped every second: once it is full, every rate is the exporter's own but for rate()'s
    # extrapolation to the window's edges, which falls short by at most 0.6 of a scrape interval at each end (half an
    # interval where the nearest sample is more than 1.1 intervals away: a late scrape) — 4 % of 30 s.
    (project / "m.slipway.yaml").write_text(MANIFEST.replace("window: 1m", "window: 30s"))
    rules(run, project)
    exporter = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Exporter)
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    port = free_port()
    (tmp_path / "prometheus.yml").write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(project / "rules.yml")],
        "scrape_configs": [{"job_name": "model", "static_configs": [{"targets": [f"127.0.0.1:{exporter.server_port}"]}]}],
    }))
    prom = subprocess.Popen(
        ["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        expected = {("SlipwayLatencyP95High", "hot"), ("SlipwayErrorRateHigh", "hot"),
                    ("SlipwayThroughputLow", "hot"), ("SlipwayOutputDrift", "hot")}
        started = time.time()
        firing = set()
        while time.time() < started + 120:
            time.sleep(1)
            try:
                alerts = json.load(urllib.request.urlopen(url + "/api/v1/alerts", timeout=2))["data"]["alerts"]
            except OSError:
                continue
            firing = {(a["labels"]["alertname"], a["labels"]["target"]) for a in alerts if a["state"] == "firing"}
            if firing == expected and time.time() > started + 35:
                break
        assert firing == expected
        r = run("monitor", "check", "m.slipway.yaml", "--source", url, "--format", "json", cwd=project)
        assert r.returncode == 1, r.stderr.decode()
        outcomes = json.loads(r.stdout)
        breached = {(o["threshold"], o["target"]) for o in outcomes if o["status"] == "breached"}
        ok = {(o["threshold"], o["target"]) for o in outcomes if o["status"] == "ok"}
        names = {"SlipwayLatencyP95High": "latency_p95_ms", "SlipwayErrorRateHigh": "error_rate",
                 "SlipwayThroughputLow": "min_throughput_rps", "SlipwayOutputDrift": "max_output_drift"}
        assert breached == {(names[a], t) for a, t in firing}
        assert ok == {(n, "cool") for n in names.values()}
        by = {(o["threshold"], o["target"]): o for o in outcomes}
        assert by[("latency_p95_ms", "hot")]["observed"] == pytest.approx(48.75, rel=1e-6)
        assert by[("error_rate", "hot")]["observed"] == pytest.approx(0.1, rel=1e-3)
        assert by[("min_throughput_rps", "cool")]["observed"] == pytest.approx(10, rel=0.05)
        assert by[("min_throughput_rps", "hot")]["observed"] == pytest.approx(2, rel=0.05)
        assert by[("latency_p95_ms", "hot")]["line"] == 7
        # Only the cool target's series: everything holds, exit 0.
        cool = project / "cool.slipway.yaml"
        cool.write_text(MANIFEST.replace("  window: 1m", "  window: 30s\n  selector: {model: text-encoder, target: cool}"))
        r = run("monitor", "check", "cool.slipway.yaml", "--source", url, cwd=project)
        assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
        assert r.stdout.decode().count(": ok: ") == 4
    finally:
        prom.terminate()
        prom.wait(timeout=30)
        exporter.shutdown()


def test_an_unreachable_source_exits_2(run, project):
    r = run("monitor", "check", "m.slipway.yaml", "--source", f"http://127.0.0.1:{free_port()}", cwd=project)
    assert r.returncode == 2
    assert "cannot connect" in r.stderr.decode()
    r = run("monitor", "check", "m.slipway.yaml", "--source", "missing.prom", cwd=project)
    assert r.returncode == 2


def test_a_scrape_file_gives_latency_and_error_rate_and_says_it_has_no_rate(run, project):
    (project / "scrape.prom").write_text("""# TYPE slipway_inference_duration_seconds histogram
slipway_inference_duration_seconds_bucket{model="text-encoder",target="server",le="0.005"} 90
slipway_inference_duration_seconds_bucket{model="text-encoder",target="server",le="0.01"} 95
slipway_inference_duration_seconds_bucket{model="text-encoder",target="server",le="0.025"} 100
slipway_inference_duration_seconds_bucket{model="text-encoder",target="server",le="+Inf"} 100
slipway_inference_requests_total{model="text-encoder",target="server"} 100
slipway_inference_errors_total{model="text-encoder",target="server"} 3
slipway_output_drift{model="text-encoder",target="server",output="a"} 0.05
slipway_output_drift{model="text-encoder",target="server",output="b"} 0.3
slipway_inference_requests_total{model="other",target="server"} 5
""")
    r = run("monitor", "check", "m.slipway.yaml", "--source", "scrape.prom", "--format", "json", cwd=project)
    assert r.returncode == 1
    by = {o["threshold"]: o for o in json.loads(r.stdout)}
    assert by["latency_p95_ms"]["observed"] == pytest.approx(10.0)  # rank 95 is the 0.01 bucket's upper edge
    assert by["latency_p95_ms"]["status"] == "ok"
    assert by["error_rate"]["observed"] == pytest.approx(0.03) and by["error_rate"]["status"] == "breached"
    assert by["max_output_drift"]["observed"] == pytest.approx(0.3) and by["max_output_drift"]["status"] == "breached"
    assert by["min_throughput_rps"]["status"] == "unknown"
    assert "one scrape has no rate" in by["min_throughput_rps"]["note"]
    r = run("monitor", "check", "m.slipway.yaml", "--source", "scrape.prom", "--format", "github", cwd=project)
    lines = r.stdout.decode().splitlines()
    assert any(l.startswith("::error file=m.slipway.yaml,line=8,col=15,title=monitor error_rate::") for l in lines)
    assert any(l.startswith("::warning ") and "min_throughput_rps" in l for l in lines)


def psi(reference, observed):
    edges = np.quantile(np.asarray(reference), np.arange(1, 10) / 10)
    q = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=10) / len(reference)
    p = np.bincount(np.searchsorted(edges, observed, side="right"), minlength=10) / len(observed)
    a, b = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
    return float(np.sum((a - b) * np.log(a / b)))


def js(reference, observed):
    edges = np.quantile(np.asarray(reference), np.arange(1, 10) / 10)
    q = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=10) / len(reference)
    p = np.bincount(np.searchsorted(edges, observed, side="right"), minlength=10) / len(observed)
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        d = 0.5 * np.nansum(np.where(p > 0, p * np.log2(p / m), 0)) + 0.5 * np.nansum(np.where(q > 0, q * np.log2(q / m), 0))
    return float(np.sqrt(d))


@pytest.mark.parametrize("measure", ["psi", "jensen_shannon"])
def test_an_inference_log_gives_every_threshold_and_drift_equals_numpy(run, project, measure):
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 1, 4000)
    shifted = rng.normal(0.6, 1.2, 3000)
    latencies = rng.gamma(4, 2.5, 3000)
    with open(project / "baseline.jsonl", "w") as f:
        for chunk in reference.reshape(-1, 4):
            f.write(json.dumps({"outputs": {"score": chunk.tolist()}}) + "\n")
    with open(project / "log.jsonl", "w") as f:
        for i, (chunk, lat) in enumerate(zip(shifted.reshape(-1, 4), latencies)):
            f.write(json.dumps({"target": "server", "ts": 1000 + i * 0.05, "latency_ms": lat, "error": i % 50 == 0,
                                "outputs": {"score": chunk.tolist()}}) + "\n")
    n = len(shifted) // 4
    manifest = project / "m.slipway.yaml"
    manifest.write_text(MANIFEST.replace("  window: 1m", f"  window: 1m\n  drift_measure: {measure}"))
    r = run("monitor", "check", "m.slipway.yaml", "--source", "log.jsonl", "--baseline", "baseline.jsonl",
            "--format", "json", cwd=project)
    assert r.returncode == 1, r.stderr.decode()
    by = {o["threshold"]: o for o in json.loads(r.stdout)}
    assert by["latency_p95_ms"]["observed"] == pytest.approx(float(np.quantile(latencies[:n], 0.95)), rel=1e-9)
    assert by["error_rate"]["observed"] == pytest.approx(len(range(0, n, 50)) / n)
    assert by["min_throughput_rps"]["observed"] == pytest.approx((n - 1) / ((n - 1) * 0.05), rel=1e-6)
    want = psi(reference, shifted) if measure == "psi" else js(reference, shifted)
    assert by["max_output_drift"]["observed"] == pytest.approx(want, rel=1e-9)
    assert by["max_output_drift"]["status"] == ("breached" if want > 0.2 else "ok")
    # Without a reference, drift is unknown, not met.
    r = run("monitor", "check", "m.slipway.yaml", "--source", "log.jsonl", "--format", "json", cwd=project)
    by = {o["threshold"]: o for o in json.loads(r.stdout)}
    assert by["max_output_drift"]["status"] == "unknown"
    assert "--baseline" in by["max_output_drift"]["note"]


def test_a_manifest_without_thresholds_is_a_usage_error(run, tmp_path):
    (tmp_path / "m.slipway.yaml").write_text(MANIFEST.split("monitor:")[0])
    r = run("monitor", "rules", "m.slipway.yaml", cwd=tmp_path)
    assert r.returncode == 2
    assert "no `monitor:` section" in r.stderr.decode()
    (tmp_path / "w.slipway.yaml").write_text(MANIFEST.replace("window: 1m", "window: 5 minutes"))
    r = run("monitor", "rules", "w.slipway.yaml", cwd=tmp_path)
    assert r.returncode == 2
    assert "monitor.window 5 minutes is not a Prometheus duration" in r.stderr.decode()
