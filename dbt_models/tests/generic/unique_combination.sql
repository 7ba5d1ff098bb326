{#- The listed columns together identify a row (no dbt_utils here: the hub is unreachable).
    owner_keys: 'with_model' or 'without_model' adds the owner keys (macros/owner_keys.sql)
    after the listed columns, so a grain by owner follows the one list. -#}
{% test unique_combination(model, columns, owner_keys=none) %}
{%- set all_columns = columns
    + (ai_finops.owner_keys(owner_keys == 'with_model') if owner_keys else []) %}
select {{ all_columns | join(', ') }}, count(*) as row_count
from {{ model }}
group by {{ all_columns | join(', ') }}
having count(*) > 1
{% endtest %}
