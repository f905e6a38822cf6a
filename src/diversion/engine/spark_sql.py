"""DuckDB SQL → Spark SQL: sqlglot's transpiler plus the few rewrites it lacks.

Stages write their SQL once, in DuckDB's dialect. sqlglot translates most of
it; the constructs below it drops or leaves in DuckDB form, so they are
rewritten here, in one place, before Spark sees the statement:

- ordered aggregates ``list(x ORDER BY k)`` → ``transform(array_sort(collect_list(struct(k, x))), …)``
  (Spark's ``collect_list`` has no order; sorting structs orders by ``k`` first);
- ``min_by(x, k, n)`` / ``max_by(x, k, n)`` (the ``n`` smallest or largest) → the same sorted list, sliced;
- list slices ``l[a:b]`` (1-based, inclusive) → ``slice(l, a, b - a + 1)``;
- ``list_slice`` → ``slice``; ``list_bool_or(l)`` → ``exists(l, b -> b)``;
- ``WITH x AS [NOT] MATERIALIZED (...)`` → ``WITH x AS (...)`` (a DuckDB planning hint Spark does not parse);
- a list aggregate over no rows is NULL in DuckDB and ``[]`` in Spark: Spark's is made NULL too.

Differences left as they are: Spark's ``collect_list`` skips NULL values where
DuckDB's ``list`` keeps them (the pipeline filters NULLs before collecting).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from diversion.errors import WarehouseError


def transpile(sql: str) -> str:
    """Translate one DuckDB-dialect statement to Spark SQL.

    >>> transpile("SELECT min_by(x, d, 2) FROM t")
    'SELECT SLICE(TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(d AS k0, x AS v))), _e -> _e.v), 1, 2) FROM t'
    """
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise WarehouseError(f"cannot translate SQL for Spark: {exc}\n  SQL: {sql[:300]}") from exc
    # Aggregates first: a slice or call wrapped around one copies it, and must copy the rewritten form.
    tree = tree.transform(_rewrite_aggregate, copy=False).transform(_rewrite_scalar, copy=False)
    try:
        return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError as exc:
        raise WarehouseError(f"cannot translate SQL for Spark: {exc}\n  SQL: {sql[:300]}") from exc


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _lambda(body: exp.Expression, var: str) -> exp.Lambda:
    return exp.Lambda(this=body, expressions=[exp.to_identifier(var)])


def _sorted_values(keys: list[exp.Ordered], value: exp.Expression, filter_: exp.Where | None = None) -> exp.Expression:
    """``value``s of a group ordered by ``keys``: sort (key, value) structs, keep the values."""
    descending = {bool(k.args.get("desc")) for k in keys}
    fields = [exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=k.this.copy()) for i, k in enumerate(keys)]
    fields.append(exp.PropertyEQ(this=exp.to_identifier("v"), expression=value.copy()))
    agg: exp.Expression = exp.ArrayAgg(this=exp.Struct(expressions=fields))
    if filter_ is not None:  # FILTER stays on the aggregate, inside the sort
        agg = exp.Filter(this=agg, expression=filter_.copy())
    ordered: exp.Expression = _fn("ARRAY_SORT", agg)
    if descending == {True}:
        ordered = exp.Reverse(this=ordered)
    elif len(descending) > 1:  # mixed directions: compare key by key
        ordered = _mixed_sort(agg, [bool(k.args.get("desc")) for k in keys])
    item = exp.Dot.build([exp.column("_e"), exp.to_identifier("v")])
    return exp.Transform(this=ordered, expression=_lambda(item, "_e"))


def _mixed_sort(agg: exp.Expression, descending: list[bool]) -> exp.Expression:
    """``array_sort`` with a comparator over fields ``k0, k1, …`` of each struct, each ASC or DESC."""
    whens = []
    for i, desc in enumerate(descending):
        before = "1" if desc else "-1"
        after = "-1" if desc else "1"
        whens.append(f"WHEN _l.k{i} < _r.k{i} THEN {before} WHEN _l.k{i} > _r.k{i} THEN {after}")
    sort = sqlglot.parse_one(f"ARRAY_SORT(_agg, (_l, _r) -> CASE {' '.join(whens)} ELSE 0 END)", read="spark")
    assert isinstance(sort, exp.ArraySort)  # parse_one is typed as returning any expression
    sort.set("this", agg)
    return sort


def _ordered_list(node: exp.ArrayAgg, filter_: exp.Where | None) -> exp.Expression | None:
    """``list([DISTINCT] x ORDER BY k)`` (optionally with a FILTER) for Spark, or None when not ordered."""
    order = node.this
    if not isinstance(order, exp.Order):
        return None
    value, keys = order.this, list(order.expressions)
    plain = value.expressions[0] if isinstance(value, exp.Distinct) else value
    if len(keys) == 1 and keys[0].this == plain:  # ordered by the value itself: sort the values
        agg: exp.Expression = exp.ArrayAgg(this=value.copy())
        if filter_ is not None:
            agg = exp.Filter(this=agg, expression=filter_.copy())
        out: exp.Expression = _fn("ARRAY_SORT", agg)
        return exp.Reverse(this=out) if keys[0].args.get("desc") else out
    if isinstance(value, exp.Distinct):
        raise WarehouseError("list(DISTINCT x ORDER BY another column) is not supported on Spark")
    return _sorted_values(keys, plain, filter_)


def _top_n(node: exp.ArgMin | exp.ArgMax) -> exp.Expression | None:
    """``min_by(x, k, n)`` / ``max_by(x, k, n)`` → the ``n`` values with the smallest / largest ``k``."""
    count = node.args.get("count")
    if count is None:
        return None
    desc = isinstance(node, exp.ArgMax)
    key = exp.Ordered(this=node.expression.copy(), desc=desc)
    return _fn("SLICE", _sorted_values([key], node.this), exp.Literal.number(1), count.copy())


def _slice(node: exp.Bracket) -> exp.Expression | None:
    """``l[a:b]`` (DuckDB: 1-based, both ends included) → ``slice(l, a, b - a + 1)``."""
    if len(node.expressions) != 1 or not isinstance(node.expressions[0], exp.Slice):
        return None
    part = node.expressions[0]
    start = part.this if part.this is not None else exp.Literal.number(1)
    if part.expression is None:
        length: exp.Expression = exp.Sub(this=_fn("SIZE", node.this.copy()), expression=start.copy())
        length = exp.Add(this=length, expression=exp.Literal.number(1))
    elif start.is_int and part.expression.is_int:
        length = exp.Literal.number(int(part.expression.name) - int(start.name) + 1)
    else:
        length = exp.Add(this=exp.Sub(this=part.expression.copy(), expression=start.copy()),
                         expression=exp.Literal.number(1))
    return _fn("SLICE", node.this.copy(), start.copy(), length)


def _null_if_empty(value: exp.Expression) -> exp.Expression:
    """DuckDB's ``list`` over no rows is NULL; Spark's ``collect_list`` gives ``[]``."""
    empty = exp.EQ(this=_fn("SIZE", value.copy()), expression=exp.Literal.number(0))
    return exp.Case(ifs=[exp.If(this=empty, true=exp.Null())], default=value)


def _rewrite_aggregate(node: exp.Expression) -> exp.Expression:
    if node.meta.get("spark"):  # built here already
        return node
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.ArrayAgg):
        out = _ordered_list(node.this, node.expression) or node
    elif isinstance(node, exp.ArrayAgg) and not isinstance(node.parent, exp.Filter):
        out = _ordered_list(node, None) or node
    else:
        out = None
    if out is not None:
        for agg in out.find_all(exp.ArrayAgg, exp.Filter):
            agg.meta["spark"] = True
        out.meta["spark"] = True
        return _null_if_empty(out)
    if isinstance(node, exp.ArgMin | exp.ArgMax):
        return _top_n(node) or node
    return node


def _rewrite_scalar(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)  # Spark has no hint: it plans each reference of a CTE itself
        return node
    if isinstance(node, exp.Bracket):
        return _slice(node) or node
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        if name == "list_slice":
            start, end = node.expressions[1], node.expressions[2]
            bracket = exp.Bracket(this=node.expressions[0], expressions=[exp.Slice(this=start, expression=end)])
            return _slice(bracket) or node
        if name == "list_bool_or":
            return _fn("EXISTS", node.expressions[0], _lambda(exp.column("_b"), "_b"))
    return node
