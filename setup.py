"""Build the Cython kernels; all other metadata lives in pyproject.toml."""

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = [
    Extension(f"mimtpy._kernels.{name}", [f"mimtpy/_kernels/{name}.pyx"],
              include_dirs=[np.get_include()], extra_compile_args=["-O3"],
              define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")])
    for name in ("linfit", "lsq2")
]

setup(ext_modules=cythonize(extensions, compiler_directives={"language_level": "3"}))
