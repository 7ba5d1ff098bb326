{#- The owner keys: the dimensions every billed cent is split to, defined once. Every model
    that groups, joins, orders or pads by owner takes its list from here, so adding an owner
    dimension is one line here (plus where its value comes from, int_requests_unioned, and the
    marts' yml, whose contracts name every column).
    owner_keys(): the columns, in their order (ties of the exact split are broken in it).
    owner_keys(include_model=false): without model_id (the owner as budgets see it).
    team_owner_keys(): the keys an allocation rule knows from the org seeds (team and its cost
    center); the others are padded ('shared', 'idle_capacity', 'unallocated') by
    owner_keys_padded. owner_key_names(): (name, column) pairs, e.g. ('team', 'team_id'). -#}
{% macro owner_keys(include_model=true) -%}
    {%- set keys = ['team_id', 'cost_center_id', 'product', 'use_case', 'feature',
                    'environment'] -%}
    {%- if include_model -%}{%- set keys = keys + ['model_id'] -%}{%- endif -%}
    {{ return(keys) }}
{%- endmacro %}

{% macro team_owner_keys() -%}
    {{ return(['team_id', 'cost_center_id']) }}
{%- endmacro %}

{% macro owner_key_names(include_model=true) -%}
    {%- set pairs = [] -%}
    {%- for column in owner_keys(include_model) -%}
        {%- do pairs.append((column[:-3] if column.endswith('_id') else column, column)) -%}
    {%- endfor -%}
    {{ return(pairs) }}
{%- endmacro %}

{#- "'value' as product, 'value' as use_case, ..." for every owner key an allocation rule does
    not know (all but team_owner_keys()), each followed by a comma. -#}
{% macro owner_keys_padded(value) -%}
    {%- for key in owner_keys() if key not in team_owner_keys() %}
        '{{ value }}' as {{ key }},
    {%- endfor %}
{%- endmacro %}

{#- "prefix.team_id, prefix.cost_center_id, ..." (a select list or a group by / order by). -#}
{% macro owner_key_list(prefix=none, include_model=true, suffix='') -%}
    {%- for key in owner_keys(include_model) -%}
        {{ prefix ~ '.' if prefix else '' }}{{ key }}{{ suffix }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
