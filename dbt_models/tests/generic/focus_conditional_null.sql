{#- A FOCUS conditional rule on one column of the cost fact (the "-C-" rules of the spec): the
    column MUST be null where `null_when` holds and MUST NOT be null where `required_when`
    holds; by default null on Tax rows and required on Usage and Purchase rows that are not
    corrections. non_negative: a value present is >= 0. Each failing row names its violation. -#}
{% test focus_conditional_null(
    model,
    column_name,
    null_when="charge_category = 'Tax'",
    required_when="charge_category in ('Usage', 'Purchase')
        and charge_class is distinct from 'Correction'",
    non_negative=false
) %}
with

checked as (

    select
        allocated_cost_id,
        charge_id,
        provider_id,
        charge_category,
        charge_class,
        {{ column_name }},
        case
            when {{ column_name }} is not null and ({{ null_when }})
                then '{{ column_name }} must be null'
            when {{ column_name }} is null and ({{ required_when }})
                then '{{ column_name }} must not be null'
            {%- if non_negative %}
            when {{ column_name }} < 0 then '{{ column_name }} must be >= 0'
            {%- endif %}
        end as violation
    from {{ model }}

)

select * from checked
where violation is not null
{% endtest %}
