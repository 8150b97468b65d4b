"""Build the Cython kernels; all other metadata lives in pyproject.toml."""

from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

#: every private kernel in mimtpy/_kernels/*.pyx becomes the extension mimtpy._kernels.<name>
KERNELS = sorted(p.stem for p in Path(__file__).parent.joinpath("mimtpy", "_kernels").glob("*.pyx"))

extensions = [
    Extension(f"mimtpy._kernels.{name}", [f"mimtpy/_kernels/{name}.pyx"],
              include_dirs=[np.get_include()], extra_compile_args=["-O3"],
              define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")])
    for name in KERNELS
]

setup(ext_modules=cythonize(extensions, compiler_directives={"language_level": "3"}))
