"""The optional C part of the archive writer; everything else is in pyproject.toml.

core/engines/archive/_fastpack.c reads, hashes (libcrypto) and frames small files without the
GIL. It needs a C compiler, the Python headers and libssl-dev; where they are missing the build
goes on without it and the archive writer uses its pure-Python path.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "core.engines.archive._fastpack",
            ["core/engines/archive/_fastpack.c"],
            libraries=["crypto"],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
            optional=True,
        )
    ]
)
