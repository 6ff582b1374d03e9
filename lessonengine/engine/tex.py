"""Every TeX string of the engine: names, node expressions, local-gradient rules and numbers.

Presentation only: the parser knows nothing of TeX. Every string made here typesets with KaTeX
and reads as the math it means: a compound expression is bracketed wherever it is an operand
(a power's base, a factor of a product, the right side of a subtraction, an argument of a sum).
"""

import functools
import re
from string import Template

GREEK = frozenset(
    ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa")
    + ("lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi")
    + ("omega",)
)
MAX_TEX = 80  # a longer expression is referred to by its node id

# The left sides of the op table's rules (templates for `render_rule`): d node / d first or
# second parent, and for reductions the same for one element of the parent.
D = r"\frac{\partial $z}{\partial $a}"
E = r"\frac{\partial $z}{\partial $b}"
DI = r"\frac{\partial $z}{\partial $ai}"
EI = r"\frac{\partial $z}{\partial $bi}"

# Precedence of a node's TeX, to know when it needs brackets inside another expression.
ATOM, POWER, NEGATION, PRODUCT, SUM = 9, 8, 6, 5, 4
_PRECEDENCE = {
    "add": SUM,
    "sub": SUM,
    "mul": PRODUCT,
    "matmul": PRODUCT,
    "outer": PRODUCT,
    "div": PRODUCT,  # a fraction as a power's base needs brackets: (a/b)^2, not a/b^2
    "neg": NEGATION,
    "pow": POWER,
    "exp": POWER,  # e^{x} is a power: (e^{x})^{2}, never e^{x}^{2}
    "transpose": POWER,  # W^{T} is a superscript too
    "sum": SUM,  # \sum x + 1 would read as a sum over x + 1
}
_FUNCTION_TEX = {
    "sigmoid": r"\sigma(%s)",
    "relu": r"\operatorname{relu}(%s)",
    "tanh": r"\tanh(%s)",
    "exp": r"e^{%s}",
    "log": r"\log(%s)",
    "mean": r"\operatorname{mean}(%s)",
    "max": r"\max(%s, %s)",
    "bce": r"\operatorname{bce}(%s, %s)",
    "mse": r"\operatorname{mse}(%s, %s)",
    "identity": r"%s",
    "transpose": r"%s^{\top}",
    "div": r"\frac{%s}{%s}",
}


def format_number(x):
    """A number as a student would write it: 3 rather than 3.0, 0.25 rather than 2.5e-01."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def name_tex(name):
    """A name in TeX: W1 is W_{1}, alpha is \\alpha, loss is \\mathit{loss}."""
    match = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", name)
    base, sub = (match.group(1), match.group(2)) if match else (name, None)
    if len(base) == 1:
        tex = base
    elif base in GREEK:
        tex = "\\" + base
    else:
        tex = r"\mathit{" + base.replace("_", r"\_") + "}"
    return tex if sub is None else tex + "_{" + sub + "}"


def parenthesized(tex):
    return r"\left(" + tex + r"\right)"


class _Term:
    """A node's TeX with its precedence, while the expressions of a program are built."""

    __slots__ = ("tex", "precedence")

    def __init__(self, tex, precedence):
        self.tex, self.precedence = tex, precedence

    def at(self, least):
        """The TeX, bracketed when it binds less tightly than `least`."""
        return parenthesized(self.tex) if self.precedence < least else self.tex


def _number_term(value):
    tex = format_number(value)
    if "e" in tex:  # 1e-07: write it as a power of ten
        mantissa, exponent = tex.split("e")
        tex = mantissa + r" \times 10^{" + str(int(exponent)) + "}"
        return _Term(tex, NEGATION if value < 0 else PRODUCT)
    return _Term(tex, NEGATION if value < 0 else ATOM)


def _expression(op, node_id, parents, limit=MAX_TEX):
    if op in ("add", "sub"):
        a, b = parents
        # The right side of a subtraction is bracketed unless it is a product or tighter, and a
        # negative term is bracketed after either sign: a - (b - c), a + (-b).
        right = b.at(PRODUCT) if op == "sub" else b.at(SUM)
        if b.precedence == NEGATION:
            right = parenthesized(b.tex)
        tex = a.tex + (" + " if op == "add" else " - ") + right
    elif op in ("mul", "matmul"):
        a, b = parents
        right = b.at(POWER)
        joint = r" \cdot " if right[:1].isdigit() else r"\,"  # 2 \cdot 3, never 23
        tex = a.at(PRODUCT) + joint + right
    elif op == "pow":
        base, exponent = parents
        tex = base.at(ATOM) + "^{" + exponent.tex + "}"
    elif op == "neg":
        tex = "-" + parents[0].at(PRODUCT if parents[0].precedence != NEGATION else ATOM)
    elif op == "sum":
        tex = r"\sum " + parents[0].at(POWER)
    elif op == "transpose":
        tex = parents[0].at(ATOM) + r"^{\top}"
    elif op == "outer":  # u vᵀ, as the lesson writes an outer product
        tex = parents[0].at(PRODUCT) + r"\," + parents[1].at(ATOM) + r"^{\top}"
    else:
        tex = _FUNCTION_TEX[op] % tuple(p.tex for p in parents)
    if limit is not None and len(tex) > limit:
        return _Term(r"\mathrm{" + node_id.replace("_", r"\_") + "}", ATOM)
    return _Term(tex, _PRECEDENCE.get(op, ATOM))


@functools.lru_cache(maxsize=256)
def _terms(program):
    terms = []
    for node in program.nodes:
        if node.named:
            terms.append(_Term(name_tex(node.id), ATOM))
        elif node.op == "const":
            terms.append(_number_term(node.const))
        else:
            terms.append(_expression(node.op, node.id, [terms[p] for p in node.parents]))
    return tuple(terms)


def node_tex(program, index):
    """How a node reads in TeX: its name, its number, or its expression."""
    return _terms(program)[index].tex


def expression_tex(program, index):
    """A node's expression in TeX even when it is named (an answer, as the student wrote it)."""
    node = program.nodes[index]
    terms = _terms(program)
    if node.op == "const" or not node.parents:
        return terms[index].tex
    if node.op == "identity":
        return terms[node.parents[0]].tex
    return _expression(node.op, node.id, [terms[p] for p in node.parents], limit=None).tex


_TEXT = {
    "add": "{} + {}",
    "sub": "{} − {}",
    "mul": "{}·{}",
    "div": "{}/{}",
    "pow": "{}^{}",
    "matmul": "{} @ {}",
    "neg": "−{}",
    "identity": "{}",
    "transpose": "{}ᵀ",
    "sigmoid": "σ({})",
}


def write_nodes(program, patterns, number):
    """Every node of `program` written out, by index: a name as it is, a constant as `number`
    writes it, any other node as its op's pattern in `patterns` (else `op(...)`) filled with its
    operands, each in brackets unless it is a name or a constant."""
    written = []
    for node in program.nodes:
        if node.named:
            written.append(node.id)
        elif node.op == "const":
            written.append(number(node.const))
        else:
            parts = [
                written[p]
                if program.nodes[p].named or program.nodes[p].op == "const"
                else f"({written[p]})"
                for p in node.parents
            ]
            pattern = patterns.get(node.op, node.op + "(" + ", ".join(["{}"] * len(parts)) + ")")
            written.append(pattern.format(*parts))
    return tuple(written)


@functools.lru_cache(maxsize=256)
def _texts(program):
    return write_nodes(program, _TEXT, lambda const: format_number(const).replace("-", "−"))


def node_text(program, index):
    """How a node reads in plain text, for sentences: its name, or its expression (w·x)."""
    return _texts(program)[index]


def operand_tex(program, index):
    """The node's TeX as an operand in a rule: bracketed unless it is a name or a plain number."""
    term = _terms(program)[index]
    return term.at(ATOM)


def render_rule(template, z, a, b="", size=1):
    """Fill a rule template of the op table; z, a, b are the TeX of the node and its parents.

    Templates may use $ai/$bi/$zi (element i of a tensor; the plain name for one number),
    $over (1/N for a mean over N elements, nothing for one) and $N (size; None: the letter N).
    """

    def element(tex):
        return tex if size == 1 else "{" + tex + "}_{i}"

    fields = {
        "z": z,
        "a": a,
        "b": b,
        "ai": element(a),
        "bi": element(b),
        "zi": element(z),
        "over": "" if size == 1 else r"\frac{1}{" + str(size or "N") + r"}\,",
        "N": str(size or "N"),
    }
    return Template(template).substitute(fields)
