{#- The owner keys: the dimensions every billed cent is split to, defined once. Every model
    that groups, joins, orders or pads by owner takes its list from here, so adding an owner
    dimension is one entry of request_owner_keys() here, which also says where its value is
    read from (plus the marts' yml, whose enforced contracts name every column).
    owner_keys(): the columns, in their order (ties of the exact split are broken in it).
    owner_keys(include_model=false): without model_id (the owner as budgets see it).
    team_owner_keys(): the keys an allocation rule knows from the org seeds (team and its cost
    center); the others are padded ('shared', 'idle_capacity', 'unallocated') by
    owner_keys_padded. owner_key_names(): (name, column) pairs, e.g. ('team', 'team_id'). -#}
{% macro owner_keys(include_model=true) -%}
    {%- set keys = team_owner_keys() + request_owner_keys() | map(attribute='key') | list -%}
    {%- if include_model -%}{%- set keys = keys + ['model_id'] -%}{%- endif -%}
    {{ return(keys) }}
{%- endmacro %}

{#- The owner keys beyond the team, in their order, and where a request's value of each is
    read from (stg_litellm__requests, stg_otel__genai_spans, int_requests_unioned loop over it):
    litellm_tag: the LiteLLM request tag "<name>:<value>" that carries it;
    otel_column / otel_attribute: the OpenTelemetry span's raw column, or span attribute;
    service_default: a service's requests default to the org_services seed's column of it;
    names_seed: a seed mapping the tagged name (lower case, column <key>_name) to the value
    (column <key>); a name it does not list is 'unassigned'.
    Whatever none of them gives is 'unassigned', never dropped. -#}
{% macro request_owner_keys() -%}
    {{ return([
        {'key': 'product', 'litellm_tag': 'product', 'service_default': true},
        {'key': 'use_case', 'litellm_tag': 'use_case', 'service_default': true},
        {'key': 'feature', 'litellm_tag': 'feature', 'otel_attribute': 'app.feature'},
        {'key': 'environment', 'litellm_tag': 'env', 'otel_column': 'deployment_environment',
            'names_seed': 'environment_names'},
    ]) }}
{%- endmacro %}

{#- An owner key's value as a LiteLLM log tags it (`tags`: the relation of the request's tags
    as columns tag_<key>), and as an OpenTelemetry span carries it (its column or attribute);
    null when the source does not carry the key. -#}
{% macro litellm_owner_key_value(owner, tags) -%}
    {%- if owner.litellm_tag -%}
        {{ tags }}.tag_{{ owner.key }}
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}

{% macro otel_owner_key_value(owner) -%}
    {%- if owner.otel_column -%}
        {{ owner.otel_column }}
    {%- elif owner.otel_attribute -%}
        {{ json_str('span_attributes', '$."' ~ owner.otel_attribute ~ '"') }}
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}

{#- An owner key's value on a request of `requests` (its column as tagged): through its names
    seed (joined as <key>_names), else the service's default (`services`: org_services),
    else 'unassigned'. -#}
{% macro request_owner_key_value(owner, requests, services) -%}
    {%- if owner.names_seed -%}
        coalesce({{ owner.key }}_names.{{ owner.key }}, 'unassigned')
    {%- elif owner.service_default -%}
        coalesce({{ requests }}.{{ owner.key }}, {{ services }}.{{ owner.key }}, 'unassigned')
    {%- else -%}
        coalesce({{ requests }}.{{ owner.key }}, 'unassigned')
    {%- endif -%}
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

{#- Joins the names of the owner keys that have one (the team owner keys, int_owner_names):
    `owners` is the relation alias holding the keys, `names` the int_owner_names relation;
    "<name>_names.owner_name" is then the name (e.g. team_names for team_id). -#}
{% macro owner_name_joins(owners, names='owner_names') -%}
    {%- for name, column in owner_key_names() if column in team_owner_keys() %}
    left join {{ names }} as {{ name }}_names
        on {{ name }}_names.owner_kind = '{{ name }}'
        and {{ owners }}.{{ column }} = {{ name }}_names.owner_id
    {%- endfor %}
{%- endmacro %}

{#- The rows of `relation` stacked once per key of `keys` ((name, column) pairs, e.g.
    owner_key_names()), union all: each branch selects the `leading` columns, '<name>' as
    `name_as` and the key's column as `value_as`, then the caller's columns (the aggregates),
    grouped by all; `skip_values` (a list) drops the rows whose key is null or one of them.
    E.g. one daily series per owner key: each owner value's rows, labelled with its key. -#}
{% macro stacked_by_key(keys, relation, leading, name_as='owner_key', value_as='owner_value',
    skip_values=none) -%}
    {%- set columns = caller() -%}
    {%- for name, column in keys %}
        select
            {% for leading_column in leading %}{{ leading_column }},
            {% endfor -%}
            '{{ name }}' as {{ name_as }},
            {{ column }} as {{ value_as }},
            {{ columns | trim }}
        from {{ relation }}
        {%- if skip_values is not none %}
        where {{ column }} is not null and {{ column }} not in ('{{ skip_values | join("', '") }}')
        {%- endif %}
        group by all
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
