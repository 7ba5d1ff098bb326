{#- The column holds only owner key names (macros/owner_keys.sql owner_key_names: team,
    cost_center, product, ...), with the model unless include_model is false: the accepted
    values follow the one list of owner keys. -#}
{% test accepted_owner_key_names(model, column_name, include_model=true) %}
select {{ column_name }}, count(*) as row_count
from {{ model }}
where {{ column_name }} is not null
    and {{ column_name }} not in (
        {%- for name, column in ai_finops.owner_key_names(include_model) -%}
        '{{ name }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
group by {{ column_name }}
{% endtest %}
