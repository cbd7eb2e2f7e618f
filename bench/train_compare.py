"""Part of bench/train: reads pancan's per-epoch figures from the model files, trains the
same networks in PyTorch on one thread on the same rows, measures a large single-thread
fp32 GEMM, and prints the comparison (provisional on a shared machine).

usage: train_compare.py --data DATASET.h5 --epochs E --batch B modelK:RANKS:MODEL.h5 ...
"""
import argparse
import os

# Exactly one thread for the peer: OpenBLAS (Debian's libopenblas0-pthread, which PyTorch
# calls for its matrix products) starts its own thread pool, which torch.set_num_threads
# does not control; it must be capped before the library loads, i.e. before torch is
# imported. (Left alone it used both cores: 8.8k samples/s of wall time, 4.5k per CPU-s.)
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import statistics  # noqa: E402
import time  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)
# pancan trains with denormals flushed to zero (as TensorFlow does); so does the peer.
torch.set_flush_denormal(True)


def features(path):
    """Scaled training rows and labels, as pancan reads them (split 'train')."""
    with h5py.File(path, "r") as f:
        obs = f["obs"]
        split = obs["split"]
        categories = [c.decode() if isinstance(c, bytes) else c for c in split["categories"][:]]
        train_rows = np.flatnonzero(split["codes"][:] == categories.index("train"))
        label_column = [c for c in obs.attrs["column-order"] if c != "split"][0]
        labels = obs[label_column]["codes"][:][train_rows].astype(np.int64)
        selected = np.flatnonzero(f["var"]["highly_variable"][:])
        prep = f["uns"]["pancan"]["prepare"]
        low, high = prep["minimum"][:], prep["maximum"][:]
        x = f["X"][train_rows.min():train_rows.max() + 1][train_rows - train_rows.min()][:, selected]
    span = np.where(high > low, high - low, 1).astype(np.float32)
    x = ((x - low) / span * (high > low)).astype(np.float32)
    return np.ascontiguousarray(x), labels


def flops_per_sample(sizes):
    """Forward + weight gradients of every Dense layer, input gradients of all but the first."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    forward = sum(2 * i * o for i, o in pairs)
    return 2 * forward + sum(2 * i * o for i, o in pairs[1:])


def torch_samples_per_second(x, y, hidden, classes, epochs, batch):
    torch.manual_seed(1)
    layers, width = [], x.shape[1]
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU(), torch.nn.Dropout(0.3)]
        width = h
    layers.append(torch.nn.Linear(width, classes))
    model = torch.nn.Sequential(*layers)
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    # Adam's default implementation (the per-tensor loop) is PyTorch 1.13's fastest on CPU:
    # foreach=True measured about twice as slow here.
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_function = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n, rates, cpu_rates = len(y), [], []
    model.train()
    for _ in range(epochs):
        start, cpu_start = time.perf_counter(), time.process_time()
        # The epoch's rows in shuffled order in one gather, so every batch is a contiguous
        # view (no per-step indexing copy); gradients are released rather than zeroed.
        order = torch.randperm(n)
        xe, ye = xt[order], yt[order]
        for b in range(0, n, batch):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_function(model(xe[b:b + batch]), ye[b:b + batch])
            loss.backward()
            optimizer.step()
        rates.append(n / (time.perf_counter() - start))
        cpu_rates.append(n / (time.process_time() - cpu_start))
    return statistics.median(rates), statistics.median(cpu_rates)


def gemm_peak(n=4096, repeats=3):
    """FLOP/s of the fastest of `repeats` n^3 products, by CPU time (robust to sharing)."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    torch.mm(a, b)
    best = min(cpu_timed(lambda: torch.mm(a, b)) for _ in range(repeats))
    return 2 * n**3 / best


def cpu_timed(work):
    start = time.process_time()
    work()
    return time.process_time() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args()

    x, y = features(args.data)
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    peak = gemm_peak()
    print(f"data: {args.data}: {x.shape[0]} training rows x {x.shape[1]} genes; "
          f"batch {args.batch}; {args.epochs} epochs; median samples/s over epochs")
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} "
          f"(figures are provisional when the machine is shared)")
    print(f"fp32 GEMM peak, one thread (torch.mm 4096^3, BLAS {blas}): {peak / 1e9:.1f} GFLOP/s")
    print(f"torch {torch.__version__}: {torch.get_num_threads()} thread, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")

    pancan = {}
    for run in args.runs:
        name, ranks, path = run.split(":")
        with h5py.File(path, "r") as f:
            h = f["history"]
            rate = statistics.median(h["samples_per_second"][:])
            cpu_rate = statistics.median(x.shape[0] / h["cpu_seconds"][:])
            train_seconds = x.shape[0] / h["samples_per_second"][:]
            share = statistics.median(h["communication_seconds"][:] / train_seconds)
            arch = f["architecture"]
            sizes = [int(arch.attrs["inputs"])] + [int(v) for v in arch["hidden"][:]] + \
                    [int(arch.attrs["classes"])]
        pancan[(name, int(ranks))] = (rate, cpu_rate, share, sizes)

    print("wall: samples/s of wall time; cpu: samples per CPU-second of the busiest rank (what\n"
          "the run would reach with a core per rank); ratios and GFLOP/s use the cpu figures")
    print(f"{'network':8} {'ranks':>5} {'pancan wall':>11} {'cpu':>7} {'torch wall':>10} {'cpu':>7} "
          f"{'vs torch':>8} {'GFLOP/s':>8} {'of peak':>7} {'collectives':>11} {'vs 1 rank':>9}")
    torch_rates = {}
    for (name, ranks), (rate, cpu_rate, share, sizes) in sorted(pancan.items()):
        if name not in torch_rates:
            torch_rates[name] = torch_samples_per_second(x, y, sizes[1:-1], sizes[-1],
                                                         args.epochs, args.batch)
        torch_wall, torch_cpu = torch_rates[name]
        gflops = cpu_rate * flops_per_sample(sizes) / 1e9
        one = pancan.get((name, 1))
        speedup = f"{cpu_rate / one[1]:8.2f}x" if one and ranks > 1 else ""
        print(f"{name:8} {ranks:5d} {rate:11.0f} {cpu_rate:7.0f} {torch_wall:10.0f} {torch_cpu:7.0f} "
              f"{cpu_rate / torch_cpu:7.2f}x {gflops:8.1f} {100 * gflops * 1e9 / peak:6.0f}% "
              f"{100 * share:10.0f}% {speedup:>9}")
    print("targets (issue 5): >= 1.25x torch at 1 rank; >= 40% of peak; >= 1.4x at 2 ranks")


if __name__ == "__main__":
    main()
