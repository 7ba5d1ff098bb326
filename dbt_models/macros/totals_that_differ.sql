{#- For invariant tests that a model keeps every row of its sources (tolerance: zero): the keys
    whose totals differ between `left` and `right` (CTEs with the `keys` and `measures` columns,
    one row per key); a key one side lacks counts 0 there. Each failing row has the keys, then
    every measure of both sides as <left>_<measure> and <right>_<measure>. -#}
{% macro totals_that_differ(left, right, keys, measures) -%}
select
    {%- for key in keys %}
    coalesce({{ left }}.{{ key }}, {{ right }}.{{ key }}) as {{ key }},
    {%- endfor %}
    {%- for measure in measures %}
    coalesce({{ left }}.{{ measure }}, 0) as {{ left }}_{{ measure }},
    coalesce({{ right }}.{{ measure }}, 0) as {{ right }}_{{ measure }}{{ ',' if not loop.last }}
    {%- endfor %}
from {{ left }}
full outer join {{ right }}
    on
    {%- for key in keys %}
    {{ 'and ' if not loop.first }}{{ left }}.{{ key }} is not distinct from {{ right }}.{{ key }}
    {%- endfor %}
where
    {%- for measure in measures %}
    {{ 'or ' if not loop.first }}coalesce({{ left }}.{{ measure }}, 0) <> coalesce({{ right }}.{{ measure }}, 0)
    {%- endfor %}
{%- endmacro %}
