"""PyTorch side of the resampler / cross-attention benchmark: OpenFlamingo 2.0.1's helpers.py on CPU
(or on a CUDA GPU, where one is lent: --device cuda).

    python bench_torch.py [--runs N] [--threads N] [--only NAME] [--device cpu|cuda]

Times PerceiverResampler and GatedCrossAttentionBlock forwards (float32, eval,
inference_mode, batch 1, two single-frame images) at the shapes in CONFIGS, and
prints one JSON object: {"torch", "threads", "python", "configs": {NAME:
{"resampler_ms": [...], "block_ms": [...]}}, "matmul_gflops": {N: GFLOP/s of an N × N
product}}. Every timed call is listed so the
caller picks its own statistic. helpers.py is loaded as golden.py loads it.
"""

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "golden"))
from golden import load_helpers  # noqa: E402

WARMUP = 3
IMAGES = 2

# K latents, N patches; the block's media is the resampler's output, hence K there too.
CONFIGS = {
    "classroom": dict(K=8, N=36, dim=64, depth=2, heads=4, dim_head=16, lm_dim=64, tokens=16),
    "mid": dict(K=64, N=196, dim=256, depth=6, heads=8, dim_head=32, lm_dim=256, tokens=32),
    "openflamingo": dict(K=64, N=256, dim=1024, depth=6, heads=8, dim_head=64, lm_dim=2048, tokens=64),
}


def timings(forward, runs, device):
    # On a GPU a call returns before its kernels finish; reading the result back is the
    # latency a caller sees, as the Rust side's readback.
    call = (lambda: forward().cpu()) if device != "cpu" else forward
    for _ in range(WARMUP):
        call()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1e3)
    return out


def bench(h, c, runs, device):
    resampler = h.PerceiverResampler(dim=c["dim"], depth=c["depth"], dim_head=c["dim_head"], heads=c["heads"],
                                     num_latents=c["K"], ff_mult=4).eval()
    block = h.GatedCrossAttentionBlock(dim=c["lm_dim"], dim_visual=c["dim"], dim_head=c["dim_head"],
                                       heads=c["heads"], ff_mult=4, only_attend_immediate_media=True).eval()
    resampler, block = resampler.to(device), block.to(device)
    # helpers.py initialises gates to 0, which makes the block's output equal its input.
    with torch.no_grad():
        block.attn_gate.fill_(0.5)
        block.ff_gate.fill_(0.5)

    x_visual = torch.randn(1, IMAGES, 1, c["N"], c["dim"]).to(device)
    x_text = torch.randn(1, c["tokens"], c["lm_dim"]).to(device)
    media = torch.randn(1, IMAGES, c["K"], c["dim"]).to(device)
    media_locations = torch.zeros(1, c["tokens"], dtype=torch.bool)
    media_locations[0, [0, c["tokens"] // 2]] = True
    media_locations = media_locations.to(device)

    with torch.inference_mode():
        return {
            "resampler_ms": timings(lambda: resampler(x_visual), runs, device),
            "block_ms": timings(lambda: block(x_text, media, media_locations=media_locations), runs, device),
        }


def matmul_gflops(n, runs, device):
    """A plain n × n float32 matrix product: the library's best, for the limit table."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    with torch.inference_mode():
        ms = sorted(timings(lambda: a @ b, runs, device))
    return 2 * n**3 / (ms[len(ms) // 2] / 1e3) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="timed calls per module (after 3 warm-up calls)")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads; default is torch's own")
    parser.add_argument("--only", choices=list(CONFIGS), help="run one configuration")
    parser.add_argument("--device", default="cpu", help="torch device: cpu (default) or cuda")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    h = load_helpers()
    names = [args.only] if args.only else list(CONFIGS)
    result = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name() if args.device != "cpu" else "cpu",
        "python": platform.python_version(),
        "configs": {name: bench(h, CONFIGS[name], args.runs, args.device) for name in names},
        "matmul_gflops": {str(n): matmul_gflops(n, args.runs, args.device) for n in (128, 256, 512)},
    }
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
