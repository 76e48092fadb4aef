"""The README's thirty-second example runs as written."""

from pathlib import Path


def test_thirty_second_example_runs():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## Thirty seconds of Python", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    D, emb = namespace["D"], namespace["emb"]
    assert D.shape == (20, 20) and emb.coords.shape == (20, 2)
