"""GPU training and 10-view prediction vs a reference pipeline built like the original.

Run: python benchmarks/bench_gpu.py [--batches 100]

Training (full-size DeepGXP, batch 512): ``DeepGXPRegressor`` (codes moved
per batch as uint8, one-hot and padding on the device, bf16 autocast)
against the reference of ``benchmarks/_plain.py``: a per-item ``Dataset``
padding and one-hot encoding in ``__getitem__``, a ``DataLoader`` with 4
workers, fp32. Both train ``--batches`` batches after a warm-up; the figures
are samples/s, their ratio (target >= 2x) and the projected time of BHI's
full run (15 epochs of 6,739,258 sequences). Prediction: 71,103 sequences of
110 bp with the default 10 views (target < 60 s).

Without CUDA it prints "CUDA not available: not measured" and exits 0.
``--device cpu`` runs the same code on the CPU, at tiny sizes, as a smoke test.
"""

import argparse
import sys
import time

import numpy as np
import torch
from _common import TINY, machine, random_sequences, random_targets
import _plain

from skgxp import DeepGXP, DeepGXPRegressor, PromoterEncoder

FULL_ROWS, EPOCHS, TEST_ROWS = 6_739_258, 15, 71_103


def sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def time_ours(codes, y, batch, device, module_params):
    net = DeepGXPRegressor(max_epochs=1, batch_size=batch, device=device, verbose=0,
                           **module_params)
    sync(device)
    start = time.perf_counter()
    net.fit(codes, y)
    sync(device)
    return time.perf_counter() - start, net


def time_reference(seqs, y, batch, device, module_params, workers):
    scale = float(np.std(y))
    loader = torch.utils.data.DataLoader(
        _plain.PaddingDataset(seqs, y, scale), batch_size=batch, shuffle=True,
        drop_last=True, num_workers=workers, pin_memory=torch.device(device).type == "cuda",
        persistent_workers=False,
    )
    params = {k.removeprefix("module__"): v for k, v in module_params.items()}
    sync(device)
    start = time.perf_counter()
    model = DeepGXP(**params).to(device)
    _plain.train(model, loader, total_steps=len(loader), device=device)
    sync(device)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--batches", type=int, default=100, help="timed training batches")
    parser.add_argument("--warmup-batches", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--test-rows", type=int, default=TEST_ROWS)
    args = parser.parse_args()

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"machine: {machine()}")
        print("CUDA not available: not measured")
        print("SUMMARY gpu: CUDA not available: not measured")
        return 0
    on_cpu = torch.device(args.device).type == "cpu"
    module_params = TINY if on_cpu else {}
    name = "CPU (smoke test, tiny module)" if on_cpu else torch.cuda.get_device_name(args.device)
    print(f"machine: {machine()}; device: {name}")

    batch = args.batch_size
    n = batch * args.batches
    seqs = random_sequences(n, 100, 120, seed=0)
    y = random_targets(n)
    codes = PromoterEncoder().fit_transform(seqs)

    warm = batch * args.warmup_batches
    time_ours(codes[:warm], y[:warm], batch, args.device, module_params)
    time_reference(seqs[:warm], y[:warm], batch, args.device, module_params, args.workers)
    ours_s, net = time_ours(codes, y, batch, args.device, module_params)
    ref_s = time_reference(seqs, y, batch, args.device, module_params, args.workers)
    ours_rate, ref_rate = n / ours_s, n / ref_s
    full_s = (FULL_ROWS // batch) * batch * EPOCHS / ours_rate
    print(f"training, ours (precision='auto'): {ours_rate:10,.0f} samples/s "
          f"({n:,} rows in {ours_s:.1f} s)")
    print(f"training, reference (DataLoader x{args.workers}, fp32): {ref_rate:10,.0f} "
          f"samples/s ({n:,} rows in {ref_s:.1f} s)")
    print(f"projected full run ({EPOCHS} epochs x {FULL_ROWS:,}): {full_s / 3600:.2f} h")

    test = PromoterEncoder().fit_transform(random_sequences(args.test_rows, 110, 110, seed=1))
    net.predict(test[: batch * 2])  # warm-up
    sync(args.device)
    start = time.perf_counter()
    pred = net.predict(test)
    sync(args.device)
    pred_s = time.perf_counter() - start
    assert pred.shape == (args.test_rows,) and np.isfinite(pred).all()
    print(f"prediction, 10 views: {args.test_rows:,} sequences in {pred_s:.1f} s")
    ratio = ours_rate / ref_rate
    print(
        f"SUMMARY gpu ({name}): training {ours_rate:,.0f} vs reference {ref_rate:,.0f} "
        f"samples/s = {ratio:.2f}x (target >= 2x: {'met' if ratio >= 2 else 'NOT met'}); "
        f"full 15-epoch run projected {full_s / 3600:.2f} h; 10-view prediction of "
        f"{args.test_rows:,} in {pred_s:.1f} s (target < 60 s: "
        f"{'met' if pred_s < 60 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
