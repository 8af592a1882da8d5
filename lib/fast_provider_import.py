"""Import the prebuilt AWS provider bindings without running their package ``__init__``.

``cdktf_cdktf_provider_aws/__init__.py`` imports all 2,139 resource modules of the provider,
which costs 12-20 s on 2 cores; this stack uses about 45 of them. Every resource module imports
only the package's jsii assembly (``._jsii``), ``cdktf`` and ``constructs``, never the package
namespace itself or a sibling. So registering the package WITHOUT executing its ``__init__``
and letting ``lib/`` import the modules it uses gives the same classes and the same
``cdk.tf.json`` byte for byte (``tests/unit/test_fast_provider_import.py`` synthesizes the dev
and prod stacks both ways and compares them, in every ``make test``).

What is skipped (``check_type``, the assembly load that the first resource module does anyway,
``__all__``, ``publication.publish()`` and the 2,139 imports) depends on the package's layout.
That layout is pinned: ``cdktf-cdktf-provider-aws==20.1.0`` is locked in ``Pipfile.lock`` and
CDKTF was archived upstream in December 2025. It is still checked before use: the installed
version and the SHA-256 of the ``__init__`` that is skipped, and that the assembly module
exists. If anything differs, one line says so and the package is imported as usual: slower,
never a wrong synth.

Call ``install()`` before anything imports the provider (``main.py``, the unit-test
conftest). Nothing else in ``lib/`` knows about it. ``FAST_PROVIDER_IMPORT=0`` turns it off.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

PACKAGE = "cdktf_cdktf_provider_aws"
DISTRIBUTION = "cdktf-cdktf-provider-aws"
PINNED_VERSION = "20.1.0"
# sha256 of cdktf_cdktf_provider_aws/__init__.py in 20.1.0: the code this module skips.
INIT_SHA256 = "b572adc0d5678ee04026e6947059edbfd0011fa7e5da99ab61428e0c401d7414"


def installed_version() -> str | None:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


def problem(spec: ModuleSpec | None, version: str | None) -> str | None:
    """Why the fast path cannot be used with this installation, or None."""
    if spec is None or not spec.origin or not spec.submodule_search_locations:
        return f"{PACKAGE} is not an installed package"
    if version != PINNED_VERSION:
        return f"{DISTRIBUTION} is {version}, the fast path knows {PINNED_VERSION}"
    init = Path(spec.origin)
    if not (init.parent / "_jsii" / "__init__.py").is_file():
        return f"{PACKAGE}/_jsii is missing"
    if hashlib.sha256(init.read_bytes()).hexdigest() != INIT_SHA256:
        return f"{init} differs from the one of {PINNED_VERSION}"
    return None


def install(modules: dict[str, ModuleType] | None = None) -> bool:
    """Register the provider package without its ``__init__``; True if the fast path is on.
    Does nothing when the package is imported already (either way)."""
    modules = sys.modules if modules is None else modules
    if PACKAGE in modules or os.environ.get("FAST_PROVIDER_IMPORT", "1") == "0":
        return False
    spec = importlib.util.find_spec(PACKAGE)
    reason = problem(spec, installed_version())
    if reason is not None:
        print(f"fast provider import off ({reason}): importing the whole package", file=sys.stderr)
        return False
    modules[PACKAGE] = importlib.util.module_from_spec(spec)  # a package: __path__ set, not run
    return True
