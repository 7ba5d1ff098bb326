{#- The rows a request log's staging model stages, written once for every log source (CTEs
    source, deduplicated, deduplicated_new): the raw rows of the days this run rebuilds
    (macros/incremental_days.sql), each request once (its first loaded copy), less the
    requests whose first copy sits on a day not rebuilt (kept there, never twice).
    `raw`: the log's source relation, `start_time` its timestamp; `ids`: (raw column, staged
    column) pairs that identify a request. -#}
{% macro request_log_rows(raw, ids) -%}
source as (

    select * from {{ raw }}
    where {{ incremental_days_filter('cast(start_time as date)') }}

),

deduplicated as (

    {% call first_row_per(ids | map(attribute=0) | join(', '), 'loaded_at, source_file, source_row') -%}
    select * from source
    {%- endcall %}

),

{%- if is_incremental() %}

-- the semi join hashes the rebuilt days' ids, not the whole table
kept_elsewhere as (

    select
        {%- for raw_column, staged_column in ids %}
        kept.{{ staged_column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ this }} as kept
    semi join deduplicated
        on {% for raw_column, staged_column in ids -%}
        {{ '' if loop.first else ' and ' }}kept.{{ staged_column }} = deduplicated.{{ raw_column }}
        {%- endfor %}

),
{%- endif %}

deduplicated_new as (

    select * from deduplicated
    {%- if is_incremental() %}
    anti join kept_elsewhere
        on {% for raw_column, staged_column in ids -%}
        {{ '' if loop.first else ' and ' }}deduplicated.{{ raw_column }} = kept_elsewhere.{{ staged_column }}
        {%- endfor %}
    {%- endif %}

)
{%- endmacro %}
