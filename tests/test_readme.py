"""Every ```python example in the README runs, each in its own child
process (some patch the socket module), from a scratch directory."""
import os
import re
import subprocess
import sys

import pytest

README = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "README.md")


def _examples():
    with open(README) as f:
        text = f.read()
    found = []
    for match in re.finditer(r"^```python\n(.*?)^```$", text,
                             re.MULTILINE | re.DOTALL):
        line = text.count("\n", 0, match.start()) + 1
        found.append(pytest.param(match.group(1), id="line%d" % line))
    return found


EXAMPLES = _examples()


def test_the_readme_has_examples():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("code", EXAMPLES)
def test_example_runs(code, tmp_path):
    proc = subprocess.run([sys.executable, "-"], input=code,
                          cwd=str(tmp_path), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
