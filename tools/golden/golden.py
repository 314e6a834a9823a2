"""Golden cases for `flamingo forward`, computed by OpenFlamingo 2.0.1's own helpers.py.

    python golden.py write DIR [--seed N]   write cases (IN) and expected outputs
    python golden.py check BIN [--seed N]   write cases to a temp dir, run BIN forward on
                                            each, compare at max abs error <= 1e-4

Every parameter is randomised (gates non-zero), and shapes are drawn from the seed
too, so another seed checks other shapes. helpers.py is loaded by file path so the
package __init__ (transformers, open_clip) is never imported; nothing is downloaded.

The expected output is what helpers.py computes, except where 2.0.1 gives visual
input to a token that can see no image (see `principled_block`); those cases also
carry 2.0.1's raw output as `reference_2_0_1`, and say so in their metadata.
"""

import argparse
import importlib.util
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

TOLERANCE = 1e-4


def load_helpers():
    # find_spec locates the package without running its __init__.
    package = importlib.util.find_spec("open_flamingo").submodule_search_locations[0]
    path = Path(package) / "src" / "helpers.py"
    spec = importlib.util.spec_from_file_location("of_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def randomise(module, gen):
    """Every parameter random, LayerNorms near 1 so activations stay O(1), gates non-zero."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("gate"):
                sign = 1.0 if torch.rand(1, generator=gen).item() < 0.5 else -1.0
                p.copy_(sign * (0.3 + 1.5 * torch.rand(p.shape, generator=gen)))
            elif p.ndim == 1:  # LayerNorm weight or bias
                base = 1.0 if name.endswith("weight") else 0.0
                p.copy_(base + 0.2 * torch.randn(p.shape, generator=gen))
            elif p.ndim == 2 and "embs" not in name and name != "latents":
                p.copy_(torch.randn(p.shape, generator=gen) / p.shape[1] ** 0.5)
            else:
                p.copy_(torch.randn(p.shape, generator=gen))


def metadata(module_name, **config):
    meta = {"module": module_name}
    meta.update({k: json.dumps(v) for k, v in config.items()})
    return meta


def visible_rows(media_locations, t_img, immediate):
    """(b, T_txt) bool: does the token see any of the T_img images? Stated by positions."""
    rows = []
    for row in media_locations.tolist():
        seen, out = 0, []
        for is_media in row:
            seen += int(is_media)
            out.append(1 <= seen <= t_img if immediate else seen >= 1)
        rows.append(out)
    return torch.tensor(rows, dtype=torch.bool)


def principled_block(block, x, media, media_locations, immediate):
    """helpers.py's block, with no visual input for tokens that see no image."""
    attn = block.attn(x, media, media_locations=media_locations)
    sees = visible_rows(media_locations, media.shape[1], immediate).unsqueeze(-1)
    attn = attn * sees
    x = attn * block.attn_gate.tanh() + x
    return block.ff(x) * block.ff_gate.tanh() + x


def resampler_case(h, rng, gen, frames, time):
    dim_head, heads = rng.choice([4, 8, 16]), rng.randint(1, 4)
    config = dict(
        dim=rng.choice([8, 16, 24, 32]),
        depth=rng.randint(1, 4),
        dim_head=dim_head,
        heads=heads,
        num_latents=rng.randint(1, 8),
        ff_mult=rng.choice([1, 2, 4]),
        max_num_media=rng.randint(3, 5) if time else None,
        max_num_frames=rng.randint(4, 6) if frames else None,
    )
    module = h.PerceiverResampler(**config)
    randomise(module, gen)
    b, T = rng.randint(2, 3), rng.randint(1, 3)
    F = rng.randint(2, 4) if frames else 1
    v = rng.randint(1, 12)
    x = torch.randn(b, T, F, v, config["dim"], generator=gen)
    with torch.no_grad():
        out = module(x)
    tensors = {k: v.contiguous() for k, v in module.state_dict().items()}
    tensors["input.x"] = x
    return tensors, metadata("perceiver_resampler", **config), {"out": out}, {}


def locations(rng, b, t_txt, markers, lead_image):
    rows = []
    for _ in range(b):
        positions = set(rng.sample(range(1 if lead_image else 0, t_txt), markers - int(lead_image)))
        if lead_image:
            positions.add(0)
        rows.append([i in positions for i in range(t_txt)])
    return torch.tensor(rows, dtype=torch.bool)


def block_case(h, rng, gen, immediate, text_before, extra_markers=0):
    dim_head, heads = rng.choice([4, 8, 16]), rng.randint(1, 4)
    config = dict(
        dim=rng.choice([8, 16, 24, 32]),
        dim_visual=rng.choice([8, 12, 16, 24]),
        dim_head=dim_head,
        heads=heads,
        ff_mult=rng.choice([1, 2, 4]),
        only_attend_immediate_media=immediate,
    )
    module = h.GatedCrossAttentionBlock(**config)
    randomise(module, gen)
    b, t_img, n = rng.randint(2, 3), rng.randint(2, 4), rng.randint(1, 6)
    t_txt = rng.randint(t_img + extra_markers + 2, 20)
    media_locations = locations(rng, b, t_txt, t_img + extra_markers, lead_image=not text_before)
    x = torch.randn(b, t_txt, config["dim"], generator=gen)
    media = torch.randn(b, t_img, n, config["dim_visual"], generator=gen)
    with torch.no_grad():
        reference = module(x, media, media_locations=media_locations)
        expected = principled_block(module, x, media, media_locations, immediate)
    tensors = {k: v.contiguous() for k, v in module.state_dict().items()}
    tensors.update({"input.x": x, "input.media": media, "input.media_locations": media_locations})
    quirk = not torch.equal(reference, expected)
    extra = {"reference_2_0_1": reference} if quirk else {}
    note = {"note": "expected differs from 2.0.1 where a token sees no image"} if quirk else {}
    return tensors, metadata("gated_cross_attention_block", **config), {"out": expected, **extra}, note


def cases(seed):
    h = load_helpers()
    rng, gen = random.Random(seed), torch.Generator().manual_seed(seed)
    yield "resampler_image", resampler_case(h, rng, gen, frames=False, time=False)
    yield "resampler_media_time", resampler_case(h, rng, gen, frames=False, time=True)
    yield "resampler_video_frames", resampler_case(h, rng, gen, frames=True, time=False)
    yield "resampler_video_frames_time", resampler_case(h, rng, gen, frames=True, time=True)
    yield "block_recent", block_case(h, rng, gen, immediate=True, text_before=False)
    yield "block_recent_text_before_image", block_case(h, rng, gen, immediate=True, text_before=True)
    yield "block_all", block_case(h, rng, gen, immediate=False, text_before=False)
    # 2.0.1 lets text before the first image attend uniformly to every image.
    yield "block_all_text_before_image", block_case(h, rng, gen, immediate=False, text_before=True)
    # More <image> markers than images: 2.0.1 lets the surplus attend uniformly.
    yield "block_recent_surplus_marker", block_case(h, rng, gen, immediate=True, text_before=False, extra_markers=1)


def write(directory, seed):
    directory.mkdir(parents=True, exist_ok=True)
    names = []
    for name, (tensors, meta, expected, note) in cases(seed):
        save_file(tensors, str(directory / f"{name}.safetensors"), metadata=meta)
        save_file({k: v.contiguous() for k, v in expected.items()}, str(directory / f"{name}.expected.safetensors"),
                  metadata={"seed": str(seed), **note})
        names.append(name)
    return names


def check(binary, seed):
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name in write(tmp, seed):
            out = tmp / f"{name}.out.safetensors"
            subprocess.run([binary, "forward", str(tmp / f"{name}.safetensors"), str(out)], check=True)
            ours = load_file(str(out))["out"]
            expected = load_file(str(tmp / f"{name}.expected.safetensors"))["out"]
            error = (ours - expected).abs().max().item() if ours.shape == expected.shape else float("inf")
            ok = error <= TOLERANCE
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} seed {seed} {name}: shape {tuple(expected.shape)}, max abs error {error:.2e}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["write", "check"])
    parser.add_argument("target", help="output folder (write) or the flamingo binary (check)")
    parser.add_argument("--seed", type=int, action="append", help="repeatable; default 0")
    args = parser.parse_args()
    seeds = args.seed or [0]
    if args.command == "write":
        if len(seeds) > 1:
            parser.error("write takes one --seed")
        write(Path(args.target), seeds[0])
    else:
        sys.exit(1 if sum(check(args.target, seed) for seed in seeds) else 0)


if __name__ == "__main__":
    main()
