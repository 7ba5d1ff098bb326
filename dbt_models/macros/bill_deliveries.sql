{#- A landed source's rows in force, defined once for the staging models of the bills and the
    FX files: a bill key (or rate) delivered again supersedes its earlier delivery at
    extraction (superseded_by), and rows are never deduplicated by content (two equal rows are
    two charges). -#}
{% macro rows_in_force(relation) -%}
    select * from {{ relation }}
    where superseded_by is null
{%- endmacro %}

{#- The lineage every staged bill row keeps: its bill key, the delivery it came in and where it
    stands in the landed file (rpt_bill_revisions reads it). -#}
{% macro bill_lineage_columns() -%}
        bill_key,
        delivery_id,
        delivered_at,
        source_file,
        source_row
{%- endmacro %}
