{#- The raw layer on Spark (README, "Running on Spark"): the raw tables the DuckDB pipeline
    loads, written as Parquet (dagster_project/transform/spark_raw.py), registered as tables of
    schema `raw`, where the sources (schema: raw) resolve on the spark target.
    tables: a list of {name, location, partitioned_by (a column or none)}. A partitioned table
    (request logs, by day) has its partition column inferred from its folders' names and its
    partitions recovered into the catalog. -#}
{% macro register_raw_tables(tables, schema='raw') -%}
    {%- if target.type != 'spark' -%}
        {{ exceptions.raise_compiler_error('register_raw_tables is for the spark target') }}
    {%- endif -%}
    {%- do run_query('create database if not exists ' ~ schema) -%}
    {%- for table in tables -%}
        {%- set relation = schema ~ '.' ~ table['name'] -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- set create -%}
            create table {{ relation }} using parquet location '{{ table['location'] }}'
        {%- endset -%}
        {%- do run_query(create) -%}
        {%- if table.get('partitioned_by') -%}
            {%- do run_query('msck repair table ' ~ relation) -%}
        {%- endif -%}
        {{ log('registered ' ~ relation ~ ' at ' ~ table['location'], info=true) }}
    {%- endfor -%}
{%- endmacro %}
