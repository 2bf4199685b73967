"""The optional C part of the archive writer, and the package list; the rest is in
pyproject.toml. resources/ stays at the top of the checkout and installs as the package
`backupdesk_resources` (found through importlib.resources, core.packaged).

core/engines/archive/_fastpack.c reads, hashes (libcrypto) and frames small files without the
GIL. It needs a C compiler, the Python headers and libssl-dev; where they are missing the build
goes on without it and the archive writer uses its pure-Python path.
core/findex/_fastdiff.c writes `diff`'s entries from the file index (libsqlite3, libsqlite3-dev
to build); without it `diff` writes them through Python, slower.
"""

from setuptools import Extension, find_namespace_packages, setup

RESOURCES = ["backupdesk_resources", *(f"backupdesk_resources.{d}"
                                       for d in ("icons", "styles", "service"))]

setup(
    # namespace packages: core/catalogue/migrations holds no __init__.py
    packages=[*find_namespace_packages(include=["core", "core.*", "gui", "gui.*"]), *RESOURCES],
    package_dir={"backupdesk_resources": "resources"},
    ext_modules=[
        Extension(
            "core.engines.archive._fastpack",
            ["core/engines/archive/_fastpack.c"],
            libraries=["crypto"],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
            optional=True,
        ),
        Extension(
            "core.findex._fastdiff",
            ["core/findex/_fastdiff.c"],
            libraries=["sqlite3"],
            extra_compile_args=["-O2", "-Wall", "-Wextra"],
            optional=True,
        ),
    ]
)
