"""Texts and a query for the reranking tests (tests/core/test_rerank.py and
tests/magics/test_rerank_magics.py): the first two texts answer the query."""

TEXTS = [
    "the eiffel tower is 330 metres tall",
    "the eiffel tower stands in paris",
    "bananas are yellow and rich in potassium",
    "mount everest is 8849 metres high",
    "small cat sleeps",
    "big dog barks",
    "red car",
    "solar power panels",
    "wind energy",
    "the river flows to the sea",
]
QUERY = "how tall is the eiffel tower"
