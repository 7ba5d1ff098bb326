{#- The incremental request-grain models (macros/incremental_days.sql) on each engine.

    DuckDB (default__): incremental tables; a run deletes and rebuilds the days raw load
    metadata says changed, through the run log intermediate._incremental_days.

    Spark: every run rebuilds these models in full (a table each). The day-wise strategy deletes
    rows and updates its run log in place, which plain Parquet tables cannot do (DELETE and
    UPDATE need Delta or Iceberg, whose jars cannot be fetched here); an insert_overwrite of
    day partitions would also need the run log's bookkeeping rewritten as partition overwrites.
    A full rebuild gives the same rows as the day-wise build gives (README, "Incremental runs":
    tested against a full rebuild); on a cluster it costs a re-read of raw per run. So on Spark
    the hooks do nothing, the day filter keeps every day and no run log is kept. -#}

{#- materialized= of an incremental request-grain model -#}
{% macro incremental_days_materialization() -%}
    {{ return(adapter.dispatch('incremental_days_materialization', 'ai_finops')()) }}
{%- endmacro %}
{% macro default__incremental_days_materialization() -%}{{ return('incremental') }}{%- endmacro %}
{% macro spark__incremental_days_materialization() -%}{{ return('table') }}{%- endmacro %}

{% macro incremental_log_setup() -%}
    {{ return(adapter.dispatch('incremental_log_setup', 'ai_finops')()) }}
{%- endmacro %}
{% macro spark__incremental_log_setup() -%}{%- endmacro %}

{% macro incremental_plan(day_column, all_days_sql, fingerprint, source_rel=none, id_column=none, ts_column=none, parents=[], days_after=0) -%}
    {{ return(adapter.dispatch('incremental_plan', 'ai_finops')(
        day_column, all_days_sql, fingerprint, source_rel, id_column, ts_column, parents, days_after)) }}
{%- endmacro %}
{% macro spark__incremental_plan(day_column, all_days_sql, fingerprint, source_rel=none, id_column=none, ts_column=none, parents=[], days_after=0) -%}
{%- endmacro %}

{% macro incremental_days_filter(day_expression, days_before=0) -%}
    {{ return(adapter.dispatch('incremental_days_filter', 'ai_finops')(day_expression, days_before)) }}
{%- endmacro %}
{% macro spark__incremental_days_filter(day_expression, days_before=0) -%}true{%- endmacro %}

{% macro incremental_done(day_column) -%}
    {{ return(adapter.dispatch('incremental_done', 'ai_finops')(day_column)) }}
{%- endmacro %}
{% macro spark__incremental_done(day_column) -%}{%- endmacro %}

{#- every build is a full build: tests scoped to the rebuilt days test every day -#}
{% macro rebuilt_days_only(model_name, day_column) -%}
    {{ return(adapter.dispatch('rebuilt_days_only', 'ai_finops')(model_name, day_column)) }}
{%- endmacro %}
{% macro spark__rebuilt_days_only(model_name, day_column) -%}true{%- endmacro %}

{#- on-run-end: which models' tests all passed in this invocation -#}
{% macro incremental_tests_passed(results) -%}
    {{ return(adapter.dispatch('incremental_tests_passed', 'ai_finops')(results)) }}
{%- endmacro %}
{% macro spark__incremental_tests_passed(results) -%}{%- endmacro %}
