-- FOCUS rule (Tags-C-001-M KeyValueFormat; AllocatedMethodDetails JSON Object, AllocatedTags
-- Key-Value, FOCUS 1.3): when not null, Tags, AllocatedMethodDetails and AllocatedTags MUST
-- be JSON objects (the FOCUS export writes anything else as null).
{%- set json_columns = ['tags', 'allocated_method_details', 'allocated_tags'] %}
{% for column in json_columns %}
    select
        allocated_cost_id,
        charge_id,
        provider_id,
        '{{ column }}' as json_column,
        cast({{ column }} as varchar) as json_value
    from {{ ref('fct_allocated_costs') }}
    where {{ column }} is not null
        and json_type(try_cast(cast({{ column }} as varchar) as json)) is distinct from 'OBJECT'
    {% if not loop.last %}union all{% endif %}
{% endfor %}
