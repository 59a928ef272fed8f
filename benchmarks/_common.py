"""Helpers shared by the benchmark scripts: data, timing, peak memory, machine.

Not part of the package; every script imports it from its own folder.
"""

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

#: Settings of the tiny module used where the network is not what is measured.
TINY = dict(
    module__conv1_channels=4,
    module__lstm_hidden_size=4,
    module__conv2_channels=4,
    module__fc_size=4,
)


def literal_params(items):
    """``{"name": value}`` from ``["name=value", ...]``, values as Python literals."""
    import ast

    params = {}
    for item in items:
        name, _, value = item.partition("=")
        params[name] = ast.literal_eval(value)
    return params


def random_sequences(n, low=100, high=120, seed=0, alphabet=b"ACGT"):
    """``n`` random DNA strings with lengths uniform in ``[low, high]``, as an object array."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(low, high + 1, n)
    letters = np.frombuffer(alphabet, np.uint8)
    text = letters[rng.integers(0, len(letters), int(lengths.sum()))].tobytes().decode()
    ends = np.cumsum(lengths).tolist()
    starts = [0, *ends[:-1]]
    out = np.empty(n, dtype=object)
    out[:] = [text[s:e] for s, e in zip(starts, ends)]
    return out


def random_targets(n, seed=0):
    """Expression-like targets (0-17, mean about 11), float64."""
    rng = np.random.default_rng(seed + 1)
    return np.clip(rng.normal(11.0, 2.35, n), 0.0, 17.0)


def timed(fn, repeats, warmup=0):
    """Run ``fn`` ``warmup + repeats`` times; return (median seconds, all timings, last result)."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def _status_bytes(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def rss_bytes():
    """Current resident set size of this process."""
    return _status_bytes("VmRSS")


class PeakRSS:
    """Peak resident memory of this process inside a ``with`` block.

    The kernel's high-water mark (VmHWM) is reset to the current RSS on entry
    by writing ``5`` to ``/proc/self/clear_refs`` and read on exit, so nothing
    is missed between samples. Where that reset is refused, a thread samples
    VmRSS every 2 ms instead. ``baseline`` is the RSS on entry, ``peak`` the
    highest RSS inside, ``added`` their difference (bytes).
    """

    def __enter__(self):
        self.baseline = rss_bytes()
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
            self._sampler = None
        except OSError:
            self._stop = threading.Event()
            self._sampled = self.baseline
            self._sampler = threading.Thread(target=self._sample, daemon=True)
            self._sampler.start()
        self.method = "VmHWM after clear_refs" if self._sampler is None else "sampled VmRSS"
        return self

    def _sample(self):
        while not self._stop.is_set():
            self._sampled = max(self._sampled, rss_bytes())
            time.sleep(0.002)

    def __exit__(self, *exc):
        if self._sampler is None:
            self.peak = _status_bytes("VmHWM")
        else:
            self._stop.set()
            self._sampler.join()
            self.peak = max(self._sampled, rss_bytes())
        self.added = self.peak - self.baseline
        return False


def machine():
    """One line naming the CPU, its cores and the date, for the result tables."""
    model, cores = platform.processor() or "unknown CPU", os.cpu_count()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        fields = dict(
            line.split(":", 1) for line in lscpu.splitlines() if ":" in line
        )
        model = fields.get("Model name", model).strip()
        cores = fields.get("CPU(s)", cores)
        cores = str(cores).strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    import torch

    return (
        f"{model}, {cores} CPU(s), torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {datetime.date.today().isoformat()}"
    )


def run_child(script, *args):
    """Run ``python script --child args...`` and return the JSON it prints last.

    Each measurement runs in a fresh process so that memory freed by an
    earlier one (and kept by the allocator) does not blur its peak RSS.
    """
    proc = subprocess.run(
        [sys.executable, script, "--child", *map(str, args)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise RuntimeError(f"child run of {script} {args} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mb(n_bytes):
    return n_bytes / 2**20
