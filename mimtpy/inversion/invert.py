"""Network inversion of unwrapped interferograms into a displacement time series (``inversion`` step,
script ``invert_network.py``).

Inputs: a MintPy ``ifgramStack.h5``, a folder of interferograms (LiCSAR GEOC, PyRate/GAMMA GeoTIFFs,
ROI_PAC ``.unw`` + ``.rsc``) or interferogram files (:func:`mimtpy.io.open_ifgram_stack`). Methods: SBAS
(minimum-norm velocity across sub-networks, as MintPy) and NSBAS (LiCSBAS's gamma constraint), weights
``no/coh/var/fim`` as MintPy 1.6.4 defines them. Every pixel is solved by the compiled kernel of
:mod:`mimtpy.inversion.solve`.

Outputs (MintPy layout, in ``outdir``): ``timeseries.h5`` (m, LOS positive toward the satellite,
``date``, ``bperp``, REF_DATE = first date, REF_Y/REF_X/REF_LAT/REF_LON), ``temporalCoherence.h5``,
``numInvIfgram.h5``, ``numComponent.h5``, ``residualRMS.h5`` (m), ``velocity.h5`` (m/yr over the whole
period) and ``network.png``. This module holds the config model, ``plan`` and ``run`` and stays light;
the work is in :mod:`mimtpy.inversion.engine`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.config import SectionConfig, option
from mimtpy.context import Plan, RunContext, Step
from mimtpy.inversion.outputs import output_dir, outputs


#: files written in outdir
@dataclass(frozen=True)
class InversionConfig(SectionConfig):
    SECTION: ClassVar[str] = "inversion"
    HELP: ClassVar[str] = "Network inversion of interferograms into a time series, SBAS or NSBAS"
    dataset: tuple = option("DataSet", "none", "interferograms: a MintPy ifgramStack.h5, a folder of interferograms "
                            "(LiCSAR GEOC, LiCSBAS GEOCml, PyRate/GAMMA GeoTIFFs, ROI_PAC .unw+.rsc) or interferogram "
                            "files", "paths")
    method: str = option("method", "sbas", "sbas = least squares, minimum-norm velocity across sub-networks "
                         "(MintPy); nsbas = LiCSBAS's temporal constraint bridging sub-networks", "choice",
                         choices=("sbas", "nsbas"))
    weight_func: str = option("weightFunc", "no", "weight of each interferogram from its coherence, as MintPy: "
                              "no (classic SBAS), coh, var (inverse phase variance, MintPy's default), fim (Fisher "
                              "information)", "choice", choices=("no", "coh", "var", "fim"))
    reference_point: tuple = option("referencePoint", "auto", "lat, lon of the reference pixel; auto = the stack's "
                                    "REF_Y/REF_X, else the pixel valid in every interferogram with the highest "
                                    "mean coherence (then the most stable)", "latlon")
    reference_area: tuple = option("referenceArea", "none", "S N W E of a reference area (mean of its valid pixels, "
                                   "per interferogram); overrides referencePoint", "snwe")
    min_ifgram: int = option("minIfgram", "1", "fewest valid interferograms for a pixel to be solved", "int", lo=1)
    gamma: float = option("gamma", "1e-4", "NSBAS: weight of the temporal constraint (LiCSBAS gamma; time in "
                          "years)", "float", lo=0, hi=1e6)
    seasonal: bool = option("seasonal", "no", "NSBAS: annual sine and cosine in the constraint model", "bool")
    mask_conn_comp: bool = option("maskConnComp", "yes", "connectComponent == 0 is no-data (MintPy stacks)",
                                  "bool")
    mask_coherence: float = option("maskCoherence", "none", "values with coherence below this are no-data (MintPy "
                                   "maskDataset = coherence); none = off", "float", lo=0, hi=1)
    looks: float = option("looks", "auto", "independent looks for var/fim weights; auto = NCORRLOOKS, else "
                          "ALOOKS*RLOOKS/1.94 (MintPy), else 1", "float", lo=1, hi=10000)
    wavelength: float = option("wavelength", "auto", "radar wavelength in m; auto = from the metadata "
                               "(Sentinel-1 for LiCSAR)", "float", lo=1e-3, hi=10)
    drop_untouched_dates: bool = option("dropUntouchedDates", "no", "leave out dates whose interferograms are all "
                                        "dropped (dropIfgram), as MintPy; no = error", "bool")
    figure: bool = option("figure", "yes", "draw the network figure (time vs perpendicular baseline)", "bool")
    outdir: Path = option("outdir", "auto", "output folder; auto = <project>/inversion", "path")


def plan(cfg: InversionConfig, ctx: RunContext) -> Plan:
    """Inputs found, outputs, problems; reads nothing beyond names."""
    result = Plan()
    if not cfg.dataset:
        result.problem("DataSet", "no interferograms given (an ifgramStack.h5, a folder or interferogram files)")
    for entry in cfg.dataset or ():
        result.need(ctx, "DataSet", Path(entry), "interferograms")
    if cfg.reference_area is not None and cfg.reference_point is not None:
        result.notes.append("referenceArea overrides referencePoint")
    result.writable(ctx, "outdir", output_dir(cfg, ctx))
    result.outputs.extend(outputs(cfg, ctx))
    return result


def run(cfg: InversionConfig, ctx: RunContext) -> list[Path]:
    """Invert the interferograms of ``DataSet`` into ``outdir``; returns the files written (or current)."""
    from mimtpy.inversion.engine import invert

    return invert(cfg, ctx)


STEP = Step("inversion", "inversion", InversionConfig, plan, run, scripts=("invert_network.py",))
