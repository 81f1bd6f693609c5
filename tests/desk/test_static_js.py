"""The page modules start their work only after the declarations that work can reach.

A module's top-level ``const``/``let``/``class`` does not exist until its line runs (the
temporal dead zone): a call made above it that reaches a function reading it throws
"Cannot access 'X' before initialization". Whether it throws can depend on timing (a socket hub
replays what it already holds to a new subscriber at once), so a browser test catches it only
sometimes; this reads every module for the shape instead. Functions are matched by name and a
function whose parameter shadows the name does not count."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p for p in (ROOT / "static" / "js").rglob("*.js"))

DECLARED = re.compile(r"^(?:export\s+)?(?:const|let|class)\s+([A-Za-z_$][\w$]*)")
FUNCTION = re.compile(
    r"^(?:export\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(([^)]*)\)"
)
STRING = re.compile(r"""(["'`])(?:\\.|(?!\1).)*\1""")


def _code(line: str) -> str:
    return STRING.sub('""', line).split("//", 1)[0]


def _functions(lines):
    """name -> (parameters, body lines) for each function declared at the top level."""
    out, current = {}, None
    for line in lines:
        m = FUNCTION.match(line)
        if m:
            current = m.group(1)
            params = {p.strip().split("=")[0].strip() for p in m.group(2).split(",")}
            out[current] = (params, [])
        elif current and line.startswith("}"):
            current = None
        elif current:
            out[current][1].append(_code(line))
    return out


def _early_reads(text: str) -> list[str]:
    lines = text.splitlines()
    functions = _functions(lines)
    found, first_call = [], None
    for number, line in enumerate(lines, 1):
        if not line or line[0].isspace() or FUNCTION.match(line) or line.startswith("}"):
            continue
        code = _code(line)
        declared = DECLARED.match(code)
        if declared and first_call:
            name = declared.group(1)
            for fn, (params, body) in functions.items():
                if name in params:
                    continue
                if any(re.search(rf"(?<![\w$.]){re.escape(name)}\b", b) for b in body):
                    found.append(
                        f"{name} (line {number}) read by {fn}(), called on line {first_call}"
                    )
        if first_call is None and any(re.search(rf"(?<![\w$.]){f}\(", code) for f in functions):
            first_call = number
    return found


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_calls_into_a_declaration_it_has_not_made_yet(module):
    assert _early_reads(module.read_text()) == []


def test_the_check_finds_the_dead_zone_the_dashboard_once_had():
    # js/attention.js as it was when the dashboard threw in a browser test.
    before = (
        "const root = document.getElementById('attention');\n"
        "if (root) follow(root);\n"
        "const FRAMES = { order: {} };\n"
        "function follow(root) {\n"
        "  const frame = FRAMES[msg.type];\n"
        "}\n"
    )
    assert _early_reads(before) == ["FRAMES (line 3) read by follow(), called on line 2"]
    after = before.replace("if (root) follow(root);\n", "") + "if (root) follow(root);\n"
    assert _early_reads(after) == []
