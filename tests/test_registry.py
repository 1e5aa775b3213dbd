import subprocess
import sys
import textwrap

import pytest

import etagcore
from etagcore import (
    ConfigError,
    ETag,
    EtagcoreError,
    MissingDependencyError,
    UnknownStrategyError,
    available_strategies,
    get_strategy,
    register_strategy,
)
from etagcore import registry
from etagcore.strategies.sha1 import SHA1Strategy

BUILTINS = ["blake3", "sha1", "stat", "xxh3-128", "xxh3-64", "xxh64"]


@pytest.fixture
def clean_registry():
    before = dict(registry._registered)
    yield
    registry._registered.clear()
    registry._registered.update(before)


def test_builtins_are_available_and_sorted():
    names = available_strategies()
    assert set(BUILTINS) <= set(names)
    assert names == sorted(names)


@pytest.mark.parametrize("spec", [
    "sha1", " SHA1 ", "sha1:", {"name": "sha1"}, "blake3:bits=256, encoding = base64url",
    {"name": "blake3", "bits": 256, "encoding": "base64url"}, {"name": "stat", "format": "nginx"},
])
def test_spec_forms(spec):
    assert isinstance(get_strategy(spec), etagcore.Strategy)


def test_spec_options_reach_the_strategy():
    strategy = get_strategy("blake3:bits=256,encoding=base64url,weak=yes,threads=2")
    assert (strategy.bits, strategy.encoding, strategy.weak, strategy.threads) == (256, "base64url", True, 2)


def test_strategy_object_passes_through():
    strategy = get_strategy("xxh3-64")
    assert get_strategy(strategy) is strategy


def test_none_reads_the_environment(monkeypatch):
    monkeypatch.delenv("ETAGCORE_STRATEGY", raising=False)
    assert get_strategy().name == "sha1"
    monkeypatch.setenv("ETAGCORE_STRATEGY", "xxh3-128:weak=true")
    strategy = get_strategy(None)
    assert strategy.name == "xxh3-128" and strategy.weak
    monkeypatch.setenv("ETAGCORE_STRATEGY", "sha-1")
    with pytest.raises(UnknownStrategyError, match="ETAGCORE_STRATEGY='sha-1'.*did you mean 'sha1'"):
        get_strategy()


def test_unknown_name_lists_and_suggests():
    with pytest.raises(UnknownStrategyError) as info:
        get_strategy("blake2")
    message = str(info.value)
    assert "unknown strategy 'blake2'" in message
    assert "did you mean 'blake3'" in message
    for name in BUILTINS:
        assert name in message


def test_unknown_name_without_close_match_still_lists():
    with pytest.raises(UnknownStrategyError, match="unknown strategy 'zzzzzzzz'\\. Available: blake3, sha1"):
        get_strategy("zzzzzzzz")


@pytest.mark.parametrize("spec, message", [
    ("sha1:bits=128", r"strategy 'sha1' has no option 'bits'; its options: encoding, weak"),
    ("xxh64:seed=3", r"has no option 'seed'"),
    ({"name": "stat", "colour": "red"}, r"strategy 'stat' has no option 'colour'; its options: format, components"),
    ("blake3:bits=100", r"option bits='100' is invalid; allowed: an integer from 64 to 256 in steps of 8"),
    ("blake3:bits=512", r"bits='512'.*64 to 256"),
    ("blake3:bits=many", r"bits='many'"),
    ({"name": "blake3", "bits": True}, r"bits=True"),
    ({"name": "blake3", "bits": 12.5}, r"bits=12.5"),
    ("blake3:threads=0", r"option threads='0' is invalid; allowed: an integer from 1 to 256"),
    ("sha1:encoding=base32", r"option encoding='base32' is invalid; allowed: hex or base64url"),
    ("sha1:weak=maybe", r"option weak='maybe' is invalid; allowed: true or false"),
    ({"name": "sha1", "weak": None}, r"option weak=None"),
    (":bits=1", r"has no name"),
    ("sha1:weak", r"expected key=value, got 'weak'"),
    ("sha1:=1", r"expected key=value, got '=1'"),
    ("sha1:weak=1,weak=0", r"option 'weak' is given twice"),
    ({"bits": 128}, r"needs a 'name' string"),
    ({"name": "sha1", 1: 2}, r"option names must be strings"),
    (42, r"cannot build a strategy from int"),
])
def test_config_errors_name_what_is_wrong(spec, message):
    with pytest.raises(ConfigError, match=message):
        get_strategy(spec)


def test_one_exception_root():
    for exc in (ConfigError, UnknownStrategyError, MissingDependencyError, etagcore.InvalidETagError,
                etagcore.UnsupportedBodyError):
        assert issubclass(exc, EtagcoreError)
    assert issubclass(ConfigError, ValueError)
    assert issubclass(UnknownStrategyError, LookupError)
    assert issubclass(MissingDependencyError, ImportError)


def test_register_and_replace(clean_registry):
    register_strategy("mine", SHA1Strategy)
    assert "mine" in available_strategies()
    assert get_strategy("mine:weak=true").tag(b"") == ETag("da39a3ee5e6b4b0d3255bfef95601890afd80709", weak=True)
    with pytest.raises(ConfigError, match="'mine' is already registered; pass replace=True"):
        register_strategy("mine", SHA1Strategy)
    register_strategy("mine", lambda: get_strategy("xxh64"), replace=True)
    assert get_strategy("mine").name == "xxh64"


def test_builtins_are_replaced_only_on_request(clean_registry):
    with pytest.raises(ConfigError, match="already registered"):
        register_strategy("sha1", SHA1Strategy)
    register_strategy("sha1", lambda: get_strategy("xxh64"), replace=True)
    assert get_strategy("sha1").name == "xxh64"


@pytest.mark.parametrize("name", ["", "Mine", "a:b", "a,b", "a=b", "a b", "-x", 5])
def test_register_rejects_bad_names(name, clean_registry):
    with pytest.raises(ConfigError, match="invalid strategy name"):
        register_strategy(name, SHA1Strategy)


def test_register_rejects_non_callables(clean_registry):
    with pytest.raises(ConfigError, match="must be callable"):
        register_strategy("x", "sha1")


def test_factory_results_and_errors_are_checked(clean_registry):
    register_strategy("not-a-strategy", lambda: object())
    with pytest.raises(ConfigError, match="returned object, which lacks the Strategy methods"):
        get_strategy("not-a-strategy")

    def picky(*, level: int = 1):
        raise ValueError("level out of range")

    register_strategy("picky", picky)
    with pytest.raises(ConfigError, match="strategy 'picky' rejected its options.*level out of range"):
        get_strategy("picky:level=9")
    with pytest.raises(ConfigError, match="strategy 'picky' has no option 'lvl'; its options: level"):
        get_strategy("picky:lvl=9")


def run_python(code, **env):
    import os

    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_missing_dependency_names_the_package():
    result = run_python("""
        import sys
        sys.modules["blake3"] = None  # the package is not importable, as after a --no-deps install
        import etagcore
        try:
            etagcore.get_strategy("blake3")
        except etagcore.MissingDependencyError as exc:
            print(exc)
        print(etagcore.get_strategy("sha1").name)
    """)
    assert result.returncode == 0, result.stderr
    assert "strategy 'blake3' needs the 'blake3' package" in result.stdout
    assert "pip install blake3" in result.stdout
    assert result.stdout.strip().endswith("sha1")


PLUGIN_SETUP = """
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "etagcore-plugin-length"
version = "1.0"

[project.entry-points."etagcore.strategies"]
length = "etagcore_length:LengthStrategy"
sha1 = "etagcore_length:LengthStrategy"
"""

PLUGIN_MODULE = '''
import etagcore


class LengthStrategy(etagcore.BaseStrategy):
    """Tags a body by its length (a toy plug-in)."""

    name = "length"

    def __init__(self, *, prefix: str = "len"):
        self.prefix = prefix

    def new(self):
        return _Tagger(self.prefix)


class _Tagger:
    def __init__(self, prefix, n=0):
        self.prefix, self.n = prefix, n

    def update(self, chunk):
        self.n += memoryview(chunk).nbytes

    def update_many(self, chunks):
        for chunk in chunks:
            self.update(chunk)

    def etag(self):
        return etagcore.ETag(f"{self.prefix}-{self.n}")

    def copy(self):
        return _Tagger(self.prefix, self.n)
'''


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory):
    """A real plug-in distribution, built and installed by pip into its own directory."""
    root = tmp_path_factory.mktemp("plugin")
    src = root / "src"
    src.mkdir()
    (src / "pyproject.toml").write_text(PLUGIN_SETUP)
    (src / "etagcore_length.py").write_text(PLUGIN_MODULE)
    target = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(src)],
        check=True, timeout=300,
    )
    return target


def test_entry_point_plugin_is_found_and_used(installed_plugin):
    result = run_python("""
        import etagcore
        print(etagcore.available_strategies())
        print(etagcore.get_strategy("length").tag([b"ab", b"cde"]))
        print(etagcore.get_strategy("length:prefix=n").tag(b"xyz"))
        print(etagcore.get_strategy("sha1").name)  # a plug-in cannot shadow a built-in
    """, PYTHONPATH=str(installed_plugin))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "'length'" in lines[0]
    assert lines[1:] == ['"len-5"', '"n-3"', "sha1"]


def test_cli_lists_the_plugin(installed_plugin):
    result = subprocess.run([sys.executable, "-m", "etagcore", "strategies"], capture_output=True, text=True,
                            env={**__import__("os").environ, "PYTHONPATH": str(installed_plugin)}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "length\n    Tags a body by its length (a toy plug-in).\n    prefix      default 'len'" in result.stdout
