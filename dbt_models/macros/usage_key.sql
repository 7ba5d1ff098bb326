{#- The usage key, defined once: a bill line and the usage it covers share provider,
    sub-account (project / workspace), day, model and batch flag. `left` and `right` are
    relation aliases; a column named differently on one side (the day, a raw model name, a
    literal provider) is given as an expression in left_exprs / right_exprs under its key
    (provider_id, sub_account_id, usage_date, model_id, is_batch), or right_prefix names the
    right side's columns '<prefix><key>'. The vendor usage APIs may
    group by no project: null_safe_sub_account matches a null sub-account to a null one. -#}
{% macro usage_key_matches(left, right, left_exprs={}, right_exprs={}, null_safe_sub_account=false,
                           right_prefix='') -%}
    {%- for key in ['provider_id', 'usage_date', 'sub_account_id', 'model_id', 'is_batch'] -%}
        {%- set left_expr = left_exprs.get(key, left ~ '.' ~ key) -%}
        {%- set right_expr = right_exprs.get(key, right ~ '.' ~ right_prefix ~ key) -%}
        {%- set operator = 'is not distinct from'
            if key == 'sub_account_id' and null_safe_sub_account else '=' -%}
        {{ '' if loop.first else '\n        and ' }}{{ left_expr }} {{ operator }} {{ right_expr }}
    {%- endfor -%}
{%- endmacro %}
