"""The TeX renderer: KaTeX's HTML with the TeX kept for screen readers, a cache, clear errors."""

import html
import subprocess
import sys
import textwrap
import threading

import pytest

from lessonengine.content import texmath
from lessonengine.content.texmath import TexError, cache_info, render_tex
from tests.conftest import ROOT


def test_inline_formula_is_katex_html_with_mathml_and_the_tex_source():
    out = render_tex(r"\frac{a}{b} < 1")
    assert out.startswith('<span class="katex">')
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML">' in out
    assert 'class="katex-html" aria-hidden="true"' in out
    annotation = out.split('<annotation encoding="application/x-tex">')[1].split("</annotation>")[0]
    assert html.unescape(annotation) == r"\frac{a}{b} < 1"
    assert "katex-display" not in out


def test_display_formula_uses_display_style():
    out = render_tex(r"\sum_i x_i", display=True)
    assert out.startswith('<span class="katex-display">')
    assert 'display="block"' in out


def test_second_call_comes_from_the_cache_without_rendering_again():
    tex = r"\sigma'(z) = a(1-a) + \text{cache probe}"
    before = cache_info()
    first = render_tex(tex, display=True)
    middle = cache_info()
    second = render_tex(tex, display=True)
    after = cache_info()
    assert second == first
    assert middle["renders"] == before["renders"] + 1, "the first call typesets once"
    assert after["renders"] == middle["renders"], "the second call must not typeset again"
    assert after["hits"] == middle["hits"] + 1
    # Inline and display are different entries of the cache.
    render_tex(tex, display=False)
    assert cache_info()["renders"] == after["renders"] + 1


def test_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(texmath, "CACHE_SIZE", 3)
    texmath.clear_cache()
    for i in range(5):
        render_tex(f"x_{{{i}}}")
    assert cache_info()["size"] == 3


@pytest.mark.parametrize(
    "tex, reason",
    [
        (r"\frac{a}{", "end of input"),
        (r"\notacommand x", "Undefined control sequence"),
        (r"a^", "Expected group"),
    ],
)
def test_a_formula_that_fails_raises_tex_error_naming_the_formula(tex, reason):
    with pytest.raises(TexError) as caught:
        render_tex(tex)
    error = caught.value
    assert error.tex == tex
    assert reason in error.message
    assert tex in str(error), "the message names the formula"
    assert "\n" not in str(error) and len(str(error)) < 300, "one clean line, no minified source"


def test_errors_are_not_cached_as_results():
    with pytest.raises(TexError):
        render_tex(r"\frac{")
    with pytest.raises(TexError):
        render_tex(r"\frac{")


def test_non_text_is_refused():
    with pytest.raises(TypeError):
        render_tex(None)  # type: ignore[arg-type]


def test_threads_share_one_renderer_safely():
    formulas = [f"y_{{{i}}} = w_{{{i}}} x + b" for i in range(40)]
    expected = {tex: render_tex(tex) for tex in formulas[:5]}
    results, errors = {}, []

    def work(chunk):
        try:
            for tex in chunk:
                results[tex] = render_tex(tex)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(formulas[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == len(formulas)
    for tex, out in expected.items():
        assert results[tex] == out


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_a_process_that_typeset_a_formula_exits_promptly():
    # MiniRacer's thread once made interpreter shutdown hang, more often than not.
    code = "from lessonengine.content.texmath import render_tex; print(len(render_tex('x^2')) > 0)"
    for _ in range(3):
        result = run_python(code)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "True"


def test_a_forked_child_typesets_with_its_own_engine():
    code = textwrap.dedent(
        """
        import os, sys
        from lessonengine.content.texmath import clear_cache, render_tex
        render_tex("a")
        clear_cache()
        pid = os.fork()
        if pid == 0:
            ok = "katex" in render_tex("b + c")
            sys.stdout.write("child ok\\n" if ok else "child bad\\n")
            sys.stdout.flush()
            sys.exit(0)
        os.waitpid(pid, 0)
        print("parent ok" if "katex" in render_tex("d") else "parent bad")
        """
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["child ok", "parent ok"]
