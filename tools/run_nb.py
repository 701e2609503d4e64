"""Execute notebooks in place with execnb (as nbdev_test runs them) and keep their outputs for the docs.
Cells flagged with a test flag (`#| slow`) run only when that flag is given; otherwise they keep the outputs they
have, so a quick refresh never throws away a long measurement. Stops at the first error.
Usage: python tools/run_nb.py nbs/10_evaluate.ipynb [...] [--flags slow]"""
import argparse, re, sys, time
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory

def _skip(flags):
    def skip(cell):
        if cell.cell_type != 'code' or 'nbdev_export' + '(' in cell.source: return True
        cell_flags = set(re.findall(r'^#\|\s*(\w+)\s*$', cell.source, re.M)) - {'export', 'exporti', 'hide', 'eval'}
        return bool(cell_flags - flags)
    return skip

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('notebooks', nargs='+', type=Path)
    p.add_argument('--flags', nargs='*', default=[], help='test flags whose cells run too (e.g. slow)')
    a = p.parse_args()
    for fn in a.notebooks:
        t = time.time(); nb = read_nb(fn); k = CaptureShell(fn)
        try:
            with working_directory(fn.parent.resolve()): k.run_all(nb, exc_stop=True, preproc=_skip(set(a.flags)))
        except Exception:
            sys.stderr.write(k.prettytb(fname=fn) + '\n'); sys.exit(f'{fn}: error, outputs not saved')
        write_nb(nb, fn); print(f'{fn}: ran in {time.time() - t:.0f} s, outputs saved')
