"""Property tests: writing a framework and reading it back changes nothing."""

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

import framework
from framework import Domain, Framework, GlossaryTerm, Indicator, Subdomain
from framework.diff import word_ops

_characters = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters="\ufffe\uffff")
_alphabet = st.one_of(_characters, st.sampled_from(" \n\t,.;-="))
texts = st.text(_alphabet, min_size=1, max_size=20).map(str.strip).filter(bool)
optional_texts = st.one_of(st.just(""), texts)
codes = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,6}", fullmatch=True)
# database=None: the example database would be a directory in the working tree; shrinking still works.


@st.composite
def frameworks(draw: st.DrawFn) -> Framework:
    shape = draw(st.lists(st.lists(st.integers(1, 2), min_size=1, max_size=2), min_size=1, max_size=3))
    size = sum(1 + len(subdomains) + sum(subdomains) for subdomains in shape)
    pool = iter(draw(st.lists(codes, min_size=size, max_size=size, unique=True)))
    levels = st.tuples(texts, texts, texts, texts, texts)
    domains = tuple(
        Domain(
            code=next(pool),
            title=draw(texts),
            subdomains=tuple(
                Subdomain(
                    code=next(pool),
                    title=draw(texts),
                    indicators=tuple(
                        Indicator(
                            code=next(pool),
                            statement=draw(texts),
                            guidance=draw(st.one_of(st.none(), texts)),
                            levels=draw(levels),
                        )
                        for _ in range(count)
                    ),
                )
                for count in subdomains
            ),
        )
        for subdomains in shape
    )
    terms = draw(st.lists(texts, max_size=2, unique_by=str.casefold))
    return Framework(
        name=draw(texts),
        short_name=draw(optional_texts),
        description=draw(optional_texts),
        source=draw(optional_texts),
        numbering_note=draw(optional_texts),
        generic_levels=draw(st.one_of(st.just(()), levels)),
        glossary=tuple(GlossaryTerm(term=term, definition=draw(texts)) for term in terms),
        domains=domains,
    )


@settings(max_examples=40, deadline=None, database=None)
@given(frameworks())
def test_dict_round_trip_is_identity(fw):
    assert framework.from_dict(framework.to_dict(fw), filename="generated") == fw


@settings(max_examples=25, deadline=None, database=None)
@given(frameworks())
def test_json_and_yaml_round_trips_are_identity(fw):
    for fmt in ("json", "yaml"):
        assert framework.load(framework.dump(fw, fmt), fmt, filename=f"generated.{fmt}") == fw


@settings(max_examples=15, deadline=None, database=None)
@given(frameworks())
def test_xlsx_round_trip_is_identity(fw):
    assert framework.load(framework.dump(fw, "xlsx"), "xlsx", filename="generated.xlsx") == fw


@settings(max_examples=25, deadline=None, database=None)
@given(frameworks())
def test_csv_round_trip_keeps_the_structure(fw):
    loaded = framework.load(framework.dump(fw, "csv"), "csv", filename="generated.csv", name=fw.name)
    assert loaded == dataclasses.replace(fw, short_name="", description="", source="", numbering_note="",
                                         generic_levels=(), glossary=())


@settings(max_examples=60, deadline=None, database=None)
@given(st.text(max_size=30), st.text(max_size=30))
def test_word_ops_spell_both_texts(before, after):
    ops = word_ops(before, after)
    assert "".join(op.text for op in ops if op.op != "insert") == before
    assert "".join(op.text for op in ops if op.op != "delete") == after
    assert all(op.text for op in ops)


@settings(max_examples=25, deadline=None, database=None)
@given(frameworks(), frameworks())
def test_diff_is_empty_exactly_when_frameworks_are_equal(a, b):
    assert framework.diff(a, a) == []
    assert (framework.diff(a, b) == []) == (a == b)
