"""The IR's node classes: keyword construction, immutability, equality, copies and pickling."""

from __future__ import annotations

import copy
import pickle
from decimal import Decimal

import pytest

from nanoflow import ir
from nanoflow.compiler import builtin_files
from nanoflow.source import Span

A = Span("a.nf", 1, 1, 1, 5)
B = Span("a.nf", 2, 1, 2, 5)


def ident(text: str, span: Span = A) -> ir.Ident:
    return ir.Ident(span=span, text=text)


def test_fields_are_inherited_in_order_with_defaults() -> None:
    assert ir.fields(ir.Ident) == ("span", "text")
    assert ir.fields(ir.Commit) == ("span", "handler", "variable")
    commit = ir.Commit(span=A, variable=ir.Variable(span=A, name="x"))
    assert commit.handler is None
    assert ir.values(commit) == (A, None, ir.Variable(span=A, name="x"))
    assert ir.NamedType(span=A, name=ident("String")).length is None


def test_construction_is_keyword_only_and_complete() -> None:
    with pytest.raises(TypeError):
        ir.Ident(A, "x")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ir.Ident(span=A)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ir.Ident(span=A, text="x", extra=1)  # type: ignore[call-arg]


def test_nodes_are_immutable_and_slotted() -> None:
    node = ident("Order")
    with pytest.raises(AttributeError, match="immutable"):
        node.text = "Customer"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del node.text
    with pytest.raises(AttributeError):
        object.__setattr__(node, "other", 1)
    assert not hasattr(node, "__dict__")


def test_equality_compares_class_and_every_field_including_spans() -> None:
    assert ident("x") == ident("x")
    assert ident("x") != ident("y")
    assert ident("x") != ident("x", B)
    assert ir.Variable(span=A, name="x") != ir.TokenRef(span=A, name="x")
    assert ident("x") != ("x",)
    assert hash(ident("x")) == hash(ident("x"))
    assert len({ident("x"), ident("x"), ident("y")}) == 2
    deep = ir.Binary(
        span=A,
        op="+",
        left=ir.IntegerLit(span=A, value=1),
        right=ir.DecimalLit(span=B, value=Decimal("2.5")),
    )
    twin = ir.Binary(
        span=A,
        op="+",
        left=ir.IntegerLit(span=A, value=1),
        right=ir.DecimalLit(span=B, value=Decimal("2.5")),
    )
    assert deep == twin and deep is not twin


def test_replace_copies_with_changes_and_rejects_unknown_fields() -> None:
    commit = ir.Commit(span=A, variable=ir.Variable(span=A, name="x"))
    handler = ir.ErrorHandler(span=B, kind="continue")
    changed = ir.replace(commit, handler=handler)
    assert changed.handler is handler and commit.handler is None
    assert changed.variable is commit.variable
    with pytest.raises(TypeError, match="no field nope"):
        ir.replace(commit, nope=1)


def test_repr_names_the_class_and_fields() -> None:
    assert repr(ident("x")) == f"Ident(span={A!r}, text='x')"
    assert repr(ir.EmptyLit(span=A)) == f"EmptyLit(span={A!r})"


def test_to_data_gives_plain_dictionaries_and_lists() -> None:
    call = ir.FunctionCall(span=A, name=ident("length"), args=(ir.StringLit(span=B, value="ab"),))
    assert ir.to_data(call) == {
        "span": A,
        "name": {"span": A, "text": "length"},
        "args": [{"span": B, "value": "ab"}],
    }


def test_whole_files_survive_pickle_and_deepcopy_unchanged() -> None:
    for module in builtin_files():
        again = pickle.loads(pickle.dumps(module))
        assert again == module and again is not module
        assert copy.deepcopy(module) == module
        with pytest.raises(AttributeError):
            again.module = module.module
