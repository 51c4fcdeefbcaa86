"""Every public name of zcgp and of its subpackages' public modules has a numpydoc docstring:
a summary, a Parameters section when it takes parameters, a Returns (or Yields) section when it
returns something; public classes document their constructor, public methods likewise."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import zcgp

SUBPACKAGES = ("zcgp.fitness", "zcgp.gp", "zcgp.proxies", "zcgp.spaces", "zcgp.nas", "zcgp.bench")
API_MODULES = ("zcgp.errors", "zcgp.util", "zcgp.proxy", "zcgp.run", "zcgp.evolving", "zcgp.searching",
               "zcgp.evaluation", "zcgp.estimator", "zcgp.adapting", "zcgp.suite", "zcgp.predictors")
# modules that are plumbing of another module, not a surface of their own
INTERNAL = {"zcgp.spaces.nb101_torch", "zcgp.spaces.nb201_torch", "zcgp.spaces.nb301_torch",
            "zcgp.spaces.tnb101_torch"}


def public_modules() -> list[str]:
    names = list(API_MODULES)
    for package in SUBPACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        names += [f"{package}.{m.name}" for m in pkgutil.iter_modules(module.__path__)
                  if not m.name.startswith("_") and f"{package}.{m.name}" not in INTERNAL]
    return names


def public_names(module) -> list[str]:
    """The module's `__all__`, else its own public functions and classes."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [n for n, v in vars(module).items() if not n.startswith("_") and (inspect.isfunction(v) or
            inspect.isclass(v)) and getattr(v, "__module__", None) == module.__name__]


def _params(fn) -> list[str]:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    return [p for p in signature.parameters if p not in ("self", "cls")]


def _returns(fn) -> bool:
    annotation = inspect.signature(fn).return_annotation
    return annotation not in (inspect.Signature.empty, None, "None")


def problems_of(owner: str, name: str, obj) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    where = f"{owner}.{name}"
    if not doc.strip():
        return [f"{where}: no docstring"]
    out = []
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        if _params(obj) and "Parameters\n---" not in doc:
            out.append(f"{where}: no Parameters section ({', '.join(_params(obj))})")
        if _returns(obj) and "Returns\n---" not in doc and "Yields\n---" not in doc:
            out.append(f"{where}: no Returns section")
    return out


def module_problems(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    out = [] if (module.__doc__ or "").strip() else [f"{module_name}: no module docstring"]
    for name in public_names(module):
        obj = getattr(module, name)
        if inspect.ismodule(obj) or not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue                                   # constants document themselves in the module text
        if getattr(obj, "__module__", module_name) != module_name:
            continue                                   # re-exported: checked where it is defined
        out += problems_of(module_name, name, obj)
        if inspect.isclass(obj):
            init = obj.__dict__.get("__init__")
            if init is not None and _params(init) and "Parameters\n---" not in (inspect.getdoc(obj) or "") \
                    and "Parameters\n---" not in (inspect.getdoc(init) or ""):
                out.append(f"{module_name}.{name}: constructor parameters undocumented")
            for attr, value in vars(obj).items():
                if attr.startswith("_") or not inspect.isfunction(value):
                    continue
                out += problems_of(f"{module_name}.{name}", attr, value)
    return out


@pytest.mark.parametrize("module_name", public_modules())
def test_public_names_have_numpydoc_docstrings(module_name):
    found = module_problems(module_name)
    assert not found, "\n".join(found)


def test_the_package_lists_and_documents_its_api():
    assert set(zcgp.__all__) <= set(dir(zcgp))
    for name in zcgp.__all__:
        obj = getattr(zcgp, name)
        assert inspect.getdoc(obj), name


def test_the_checker_finds_a_missing_section():
    def f(a, b) -> int:
        """Summary only."""
        return a + b

    assert problems_of("m", "f", f) == ["m.f: no Parameters section (a, b)", "m.f: no Returns section"]


@pytest.mark.integration
@pytest.mark.parametrize("module_name", [*public_modules(), "zcgp"])
def test_docstring_examples_run(module_name, tmp_path, monkeypatch):
    import doctest

    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(module_name)
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert failed == 0
