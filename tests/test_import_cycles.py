"""No import cycles anywhere in embmagic: imports inside functions and under TYPE_CHECKING
count too (the layer rules themselves are `lint-imports`' job, run by scripts/test.sh)."""

from __future__ import annotations

import grimp  # import-linter's graph library (the `test` extra)


def test_no_module_of_embmagic_is_part_of_an_import_cycle() -> None:
    graph = grimp.build_graph("embmagic", cache_dir=None)
    cycles = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )
    assert len(graph.modules) > 80 and cycles == []
