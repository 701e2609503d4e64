"""Latency of the exported models: PyTorch eager FP32 vs ONNX Runtime FP32 vs ONNX Runtime INT8, for EfficientNet-Lite0
and Swin-T, at batch 1 (median ms) and batch 32 (images/s).

Every contender is measured in the same run, taking turns in blocks of 5 runs after a warm-up (this machine is shared
and noisy; each block starts with an untimed run so the previous contender's spinning threads settle), with the same
number of threads for PyTorch and ONNX Runtime. Don't run it while something else loads the CPU (a training run):
PyTorch's OpenMP threads then stall at every barrier and its numbers mean nothing. Lite0 is the trained checkpoint when given (its input
size; INT8 static QDQ calibrated on training photos of --manifest), else a fresh model with the offline ImageNet backbone
and a random head at --size, calibrated on the generated stand-in photos. Swin-T has random weights (no hub here); its
INT8 is dynamic. Exports use `plantvit.export`'s defaults (legacy exporter for Lite0, dynamo for Swin-T).

    .venv/bin/python bench/export_latency.py --checkpoint runs/lite0-160/best.pt --manifest runs/organized
    .venv/bin/python bench/export_latency.py                       # fresh Lite0 at 160 px + Swin-T, 30 repeats
    .venv/bin/python bench/export_latency.py --repeats 3 --batch-repeats 1 --batch 8   # a quick check that it runs
"""
import argparse, statistics, tempfile, time, warnings
from pathlib import Path
import numpy as np, torch

def contenders(name: str, model, prep: dict, calibration: list, work: Path) -> dict:
    "{label: (run function on a batch, file size or None)} for one architecture: torch eager, ORT FP32, ORT INT8."
    from plantvit.export import to_onnx, onnx_session
    from plantvit.quantize import quantize
    fp32, int8 = work / f'{name}.fp32.onnx', work / f'{name}.int8.onnx'
    info = to_onnx(model, fp32)
    q = quantize(fp32, int8, calibration_paths=calibration, prep=prep)
    print(f"  {name}: {info['exporter']} export {info['seconds']} s, INT8 {q['method']} {q['seconds']} s")
    return {'torch': (lambda x: model(torch.from_numpy(x)), None),
            'ort_fp32': (_ort(onnx_session(fp32, ARGS.threads)), fp32.stat().st_size),
            'ort_int8': (_ort(onnx_session(int8, ARGS.threads)), int8.stat().st_size), '_method': q['method']}

def _ort(session):
    return lambda x: session.run(None, {'image': x})

def median_ms(runs: dict, x: np.ndarray, repeats: int, block: int = 5, warmup: int = 3) -> dict:
    "Median ms per call of each function on `x`: `repeats` timed calls each, in blocks of `block` taking turns."
    keys, times = list(runs), {k: [] for k in runs}
    with torch.inference_mode():
        for _ in range(warmup):
            for f in runs.values(): f(x)
        for r in range(-(-repeats // block)):
            for k in keys[r % len(keys):] + keys[:r % len(keys)]:   # a different contender first each round
                runs[k](x)                                           # untimed: the previous one's threads settle
                for _ in range(min(block, repeats - r * block)):
                    t = time.perf_counter(); runs[k](x); times[k].append((time.perf_counter() - t) * 1000)
    return {k: statistics.median(v) for k, v in times.items()}

def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--checkpoint', type=Path, help='a Lite0 checkpoint (runs/lite0-160/best.pt); default: a fresh model')
    ap.add_argument('--manifest', type=Path, help='the organized data folder for calibration photos (runs/organized)')
    ap.add_argument('--size', type=int, default=160, help='input size of the fresh Lite0 (default 160)')
    ap.add_argument('--models', nargs='+', default=['lite0', 'swin'], choices=['lite0', 'swin'])
    ap.add_argument('--threads', type=int, default=2, help='threads for PyTorch and ONNX Runtime alike (default 2)')
    ap.add_argument('--repeats', type=int, default=30, help='batch-1 runs per contender (default 30)')
    ap.add_argument('--batch', type=int, default=32, help='batch size of the throughput measurement (default 32)')
    ap.add_argument('--batch-repeats', type=int, default=5, help='batch runs per contender (default 5)')
    ap.add_argument('--calibration', type=int, default=64, help='calibration photos for static INT8 (default 64)')
    ARGS = a = ap.parse_args()
    warnings.filterwarnings('ignore')
    torch.set_num_threads(a.threads)
    import logging; logging.getLogger().setLevel(logging.ERROR)
    from plantvit.backbones import Preprocessing
    from plantvit.model import create_model
    from plantvit.train import load_checkpoint
    from plantvit.data import organize
    from plantvit.manifest import read_manifest
    from plantvit.sample_data import generated_data
    from plantvit.imaging import prepare
    from plantvit.quantize import calibration_sample
    work = Path(tempfile.mkdtemp(prefix='export-latency-'))
    if a.manifest: manifest, tax = read_manifest(a.manifest)
    else:
        root = generated_data()
        organize([root / 'plantvillage', f'Bean={root}/ibean'], out=work / 'organized')
        manifest, tax = read_manifest(work / 'organized')
    cal = calibration_sample(manifest, a.calibration)
    models = {}
    if 'lite0' in a.models:
        if a.checkpoint: m, tax_ck, prep, _ = load_checkpoint(a.checkpoint)
        else:
            prep = Preprocessing.from_timm('tf_efficientnet_lite0').with_size(a.size)
            m = create_model('tf_efficientnet_lite0', tax, pretrained='lite-package'); m.preprocessing = prep
        models['lite0'] = (m, prep.to_dict())
    if 'swin' in a.models:
        m = create_model('swin_tiny_patch4_window7_224', tax, pretrained=False)
        models['swin_t'] = (m, Preprocessing.from_timm(m).to_dict())
    print(f"{'trained checkpoint ' + str(a.checkpoint) if a.checkpoint else 'fresh Lite0 (random head)'}; "
          f"{a.threads} thread(s); batch-1 median of {a.repeats}, batch-{a.batch} median of {a.batch_repeats}; exporting…")
    rows = []
    for name, (m, prep) in models.items():
        c = contenders(name, m.eval(), prep, cal, work)
        method = c.pop('_method')
        photos = np.stack([prepare(p, prep) for p in (cal * (a.batch // len(cal) + 1))[:a.batch]])
        one = median_ms({k: f for k, (f, _) in c.items()}, photos[:1], a.repeats)
        many = median_ms({k: f for k, (f, _) in c.items()}, photos, a.batch_repeats, block=1, warmup=1)
        for k, (_, size) in c.items():
            rows.append((name, f"{k}{' (' + method + ')' if k == 'ort_int8' else ''}", prep['input_size'][1],
                         f"{size / 1e6:.1f}" if size else '–', one[k], one['torch'] / one[k], a.batch * 1000 / many[k],
                         many['torch'] / many[k]))
    print(f"\n| model | runtime | px | MB | batch-1 ms | × vs torch | batch-{a.batch} img/s | × vs torch |")
    print('|---|---|---|---|---|---|---|---|')
    for r in rows: print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.1f} | {r[5]:.2f} | {r[6]:.1f} | {r[7]:.2f} |")

if __name__ == '__main__': main()
