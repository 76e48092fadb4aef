"""The `repgeo demo` section: lazy vs rich networks compared by MSA and CKA."""

import json

from repgeo.demo.msa import lazy_vs_rich


def test_demo_section(tmp_path):
    lines = lazy_vs_rich(tmp_path, rng=0)
    assert lines and all(isinstance(line, str) for line in lines)
    results = json.loads((tmp_path / "msa_lazy_vs_rich.json").read_text())
    assert (tmp_path / "msa_lazy_vs_rich_pointwise.csv").read_text().startswith("u1,u2,dsr_rich_vs_init")
    lazy, rich = results["lazy_vs_init"], results["rich_vs_init"]
    assert lazy["msa"] < 0.02 and lazy["linear_cka"] > 0.99  # lazy: nothing moved, both agree
    assert rich["msa"] > 0.3 and rich["linear_cka"] > 0.8  # rich: CKA stays high, MSA does not
    assert results["rich_msa_near_boundary"] > results["rich_msa_far"]
