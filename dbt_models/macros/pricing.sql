{#- Batch pricing, defined once: the catalog's batch rate, else the standard rate times
    var('batch_price_factor') (the vendors' batch discount). -#}
{% macro batch_rate(batch_rate_column, standard_rate_column) -%}
    coalesce({{ batch_rate_column }}, {{ standard_rate_column }} * {{ var('batch_price_factor') }})
{%- endmacro %}

{#- The catalog's standard USD per million tokens for the token part a bill line charges
    (`prices`: a row of int_price_catalog); a cache part without its own rate is input. -#}
{% macro catalog_rate_for_part(prices, part_column, is_batch_column) -%}
    {%- set input = prices ~ '.input_usd_per_mtok' -%}
    {%- set output = prices ~ '.output_usd_per_mtok' -%}
    case
            when {{ part_column }} = 'input' and {{ is_batch_column }}
                then {{ batch_rate(prices ~ '.batch_input_usd_per_mtok', input) }}
            when {{ part_column }} = 'input' then {{ input }}
            when {{ part_column }} = 'cache_read'
                then coalesce({{ prices }}.cache_read_usd_per_mtok, {{ input }})
            when {{ part_column }} = 'cache_write'
                then coalesce({{ prices }}.cache_write_usd_per_mtok, {{ input }})
            when {{ part_column }} = 'output' and {{ is_batch_column }}
                then {{ batch_rate(prices ~ '.batch_output_usd_per_mtok', output) }}
            when {{ part_column }} = 'output' then {{ output }}
        end
{%- endmacro %}
