"""RELAX scripts: one input per combination with gammadot0 = mu / (2 eta), and run files that really run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mimtpy.cli.generate_script_relax import main as relax_main
from mimtpy.context import RunContext
from mimtpy.errors import InputError
from mimtpy.relax import relax
from mimtpy.relax.relax_scripts import gammadot0, locate, read_sample

# A small sample written for this test in RELAX's input format (geodynamics/relax, src/input.f90 reads it in
# this order): a strike-slip fault over two linear viscous layers; {slip} is a placeholder.
SAMPLE = """#!/bin/sh
# sample run (shell script with the input as a here-document)
WDIR=./output
mkdir -p $WDIR
relax --no-proj-output <<EOF
# grid dimension (sx1,sx2,sx3)
128 128 128
# sampling (dx1,dx2,dx3), smoothing (beta, nyquist)
0.5 0.5 0.5 0.2 1
# origin position (x0,y0) and rotation
0 0 0
# observation depth (displacement and stress)
0 5
# output directory
$WDIR
# lambda, mu, gamma (gamma = (1 - nu) rho g / mu)
30e3 30e3 8.33e-4
# time interval, (positive time step) or (negative skip, scaling)
20 1
# number of observation planes
0
# number of observation points
0
# number of stress observation segments
0
# number of prestress interfaces
0
# number of linear viscous interfaces
2
# no depth gammadot0 cohesion
   1 20.0 1.0 0.0
   2 40.0 5.0 0.0
# number of linear weak zones
0
# number of nonlinear viscous interfaces
0
# number of fault creep interfaces
0
# number of inter-seismic strike-slip segments
0
# number of inter-seismic tensile segments
0
# number of coseismic events
1
# number of shear dislocations
1
# index slip x1 x2 x3 length width strike dip rake
      1 {slip}  0  0  0     20    15      0   90    0
# number of tensile cracks
0
# number of dilatation sources
0
# number of surface loads
0
EOF
"""


@pytest.fixture
def sample(tmp_path) -> Path:
    path = tmp_path / "sample.sh"
    path.write_text(SAMPLE)
    return path


def _data(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_gammadot0_conversion():
    # mu / (2 eta) per Julian year: 30 GPa, 1e19 Pa s -> 1.5e-9 /s = 0.047336 /yr (Maxwell time 2 eta / mu = 21.1 yr)
    assert gammadot0(19.0) == pytest.approx(30e9 / 2e19 * 365.25 * 86400, rel=1e-15)
    assert gammadot0(19.0) == pytest.approx(0.0473364, rel=1e-6)
    assert gammadot0(18.0, 40e9, "day") == pytest.approx(40e9 / 2e18 * 86400, rel=1e-15)


def test_one_input_per_combination(sample, tmp_path):
    out = tmp_path / "runs"
    code = relax_main([str(sample), "--log10eta", "1=18:19:1", "--layerDepth", "2=30:40:10", "--param",
                       "slip=1:2:1", "--cpus", "2", "--queue", "short", "--outdir", str(out), "-q"])
    assert code == 0
    scripts = (out / "relax_scripts.txt").read_text().split()
    assert len(scripts) == 2 * 2 * 2
    name = "relax_log10eta1-18_depth2-40_slip-2"
    assert f"{name}.sh" in scripts
    data = _data((out / f"{name}.input").read_text())
    sample_data = _data("\n".join(read_sample(sample)))
    assert len(data) == len(sample_data)
    assert data[4] == name                                          # output directory = the run's own folder
    layer1, layer2 = data[12].split(), data[13].split()
    assert float(layer1[2]) == pytest.approx(gammadot0(18.0), rel=1e-6) and layer1[1] == "20.0"
    assert layer2[1] == "40" and layer2[2] == "5.0"                 # layer 2 viscosity untouched
    assert data[-4].split()[1] == "2"                               # {slip} filled in
    slurm = (out / "run_slurm.sh").read_text()
    assert "#SBATCH --array=1-8" in slurm and "#SBATCH --partition=short" in slurm
    assert "#PBS -J 1-8" in (out / "run_pbs.sh").read_text()
    for path in out.iterdir():                                      # no hard-coded paths
        assert str(tmp_path) not in path.read_text()


def test_run_files_run_every_script(sample, tmp_path):
    """run_local.sh with a stand-in for RELAX that copies its input: every run gets its own folder and input."""
    out = tmp_path / "runs"
    assert relax_main([str(sample), "--log10eta", "1=18:19:0.5", "--param", "slip=1:1:1", "--outdir", str(out),
                       "-q"]) == 0
    fake = tmp_path / "fake_relax"
    fake.write_text("#!/bin/bash\ncat\n")
    fake.chmod(0o755)
    env = {**os.environ, "RELAX": str(fake)}
    subprocess.run(["bash", str(out / "run_local.sh"), "-j", "2"], check=True, env=env, cwd=tmp_path)
    scripts = (out / "relax_scripts.txt").read_text().split()
    assert len(scripts) == 3
    for script in scripts:
        run = out / script.removesuffix(".sh")
        assert (run / "in.param").read_text() == (out / f"{run.name}.input").read_text()


def test_bad_samples(tmp_path, sample):
    lines = read_sample(sample)
    outdir, layers = locate(lines, sample)
    assert lines[outdir] == "$WDIR" and len(layers) == 2
    out = tmp_path / "bad"
    with pytest.raises(InputError, match="layer 3"):
        relax.run(relax.RelaxConfig(sample=sample, log10eta=("3=18:19:1",), param=("slip=1:1:1",), outdir=out),
                  RunContext(tmp_path))
    broken = tmp_path / "broken.input"
    broken.write_text("# grid\n1 1 1\n")
    assert relax_main([str(broken), "--log10eta", "1=18:19:1", "--outdir", str(out)]) == 1
    assert relax_main([str(sample), "--log10eta", "1=18:19:1", "--outdir", str(out)]) == 1   # {slip} has no value
    assert not out.exists()
