"""Input pipeline: images/s of the training DataLoader reading the image cache vs fastai decoding the original photos.

Same DataBlock, same batch size; only get_x differs (`hierarchical_dls(cache=True)` reads the memory-mapped cache,
`cache=False` opens, decodes and resizes every original JPEG each epoch, as a plain fastai DataBlock over the folders
would). Measured twice in the same run: the bare pipeline (centre crop only), and with the training augmentation,
which costs the same on both sides. Alternates the contenders, several rounds, and prints medians.

    PLANTVIT_DATA=../shared/data python bench/input_pipeline.py [--batches 20] [--rounds 3] [--size 160]
"""
import argparse, statistics, tempfile, time
from pathlib import Path
import torch

def images_per_second(dl, n_batches: int) -> float:
    it = iter(dl); next(it)   # warm-up batch (worker start, first cache pages)
    t, n = time.perf_counter(), 0
    for _ in range(n_batches):
        try: xb, *_ = next(it)
        except StopIteration: it = iter(dl); xb, *_ = next(it)
        n += len(xb)
    return n / (time.perf_counter() - t)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--batches', type=int, default=20); ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--size', type=int, default=160); ap.add_argument('--bs', type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(2)
    from plantvit.sample_data import data_root, real_data
    from plantvit.data import organize
    from plantvit.backbones import Preprocessing
    from plantvit.dataloaders import hierarchical_dls
    root = data_root(); out = Path(tempfile.mkdtemp()) / 'organized'
    organize([root / 'plantvillage', f'Bean={root}/ibean'], out=out, hash=False)
    prep = Preprocessing.from_timm('tf_efficientnet_lite0').with_size(a.size)
    t = time.perf_counter()
    dls = {(c, aug): hierarchical_dls(out, prep, bs=a.bs, cache=c == 'cache', augment=aug)
           for aug in (False, True) for c in ('cache', 'originals')}
    print(f"{'real photos' if real_data() else 'generated stand-in'}: {len(dls['cache', False].train_ds):,} train photos; "
          f"cache built in {time.perf_counter() - t:.1f} s; {a.size} px, bs {a.bs}")
    res = {k: [] for k in dls}
    for r in range(a.rounds):
        for (c, aug), d in dls.items():
            res[c, aug].append(images_per_second(d.train, a.batches))
            print(f"  round {r + 1} {c:9} {'augmented' if aug else 'bare':9} {res[c, aug][-1]:7.1f} images/s")
    med = {k: statistics.median(v) for k, v in res.items()}
    for aug in (False, True):
        print(f"median, {'with augmentation' if aug else 'bare pipeline'}: cache {med['cache', aug]:.0f} images/s, "
              f"originals {med['originals', aug]:.0f} images/s: {med['cache', aug] / med['originals', aug]:.1f}x")

if __name__ == '__main__': main()
